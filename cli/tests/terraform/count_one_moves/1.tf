resource "null_resource" "a" {
  triggers = { x = "1" }
}
output "id" { value = null_resource.a.id }
