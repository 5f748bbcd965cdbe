resource "null_resource" "a" {
  triggers = { x = "2" }
  lifecycle {
    ignore_changes = [triggers]
  }
}
resource "null_resource" "b" {
  triggers = { x = "2" }
}
output "a" { value = null_resource.a.triggers }
