resource "null_resource" "a" {
  triggers = { x = "3" }
  lifecycle {
    ignore_changes = [triggers]
  }
}
resource "null_resource" "b" {
  triggers = { x = "3" }
}
output "a" { value = null_resource.a.triggers }
