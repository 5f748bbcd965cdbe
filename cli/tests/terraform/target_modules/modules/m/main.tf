variable "x" { type = string }
resource "null_resource" "inner" {
  triggers = { x = var.x }
}
resource "null_resource" "other" {}
output "id" { value = null_resource.inner.id }
