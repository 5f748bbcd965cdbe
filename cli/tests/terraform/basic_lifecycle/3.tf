resource "null_resource" "a" {
  triggers = { x = "2", y = "new" }
}
output "a" { value = null_resource.a.triggers }
