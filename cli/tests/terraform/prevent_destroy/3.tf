resource "null_resource" "keep" {
  triggers = { x = "1" }
  lifecycle {
    prevent_destroy = false
  }
}
resource "null_resource" "free" {}
