resource "null_resource" "a" {
  triggers = { x = "1" }
  lifecycle {
    ignore_changes = all
  }
}
resource "null_resource" "b" {
  triggers = { x = "1" }
}
output "a" { value = null_resource.a.triggers }
