resource "null_resource" "keep" {
  triggers = { x = "2" }
  lifecycle {
    prevent_destroy = true
  }
}
resource "null_resource" "free" {}
