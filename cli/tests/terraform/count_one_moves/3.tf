resource "null_resource" "a" {
  count    = 2
  triggers = { x = "1" }
}
output "id" { value = null_resource.a[0].id }
