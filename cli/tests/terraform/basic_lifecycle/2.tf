resource "null_resource" "a" {
  triggers = { x = "2" }
}
resource "null_resource" "b" {}
output "a" { value = null_resource.a.triggers }
