resource "null_resource" "base" {
  triggers = { x = "2" }
}
resource "null_resource" "mid" {
  triggers = { base = null_resource.base.id }
}
resource "null_resource" "top" {
  triggers = { mid = null_resource.mid.id }
  lifecycle {
    create_before_destroy = true
  }
}
