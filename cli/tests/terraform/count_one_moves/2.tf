resource "null_resource" "a" {
  count    = 1
  triggers = { x = "1" }
}
output "id" { value = null_resource.a[0].id }
