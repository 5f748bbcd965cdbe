resource "null_resource" "a" {
  count = 2
}
output "first" { value = null_resource.a[0].id }
output "all" { value = null_resource.a[*].id }
output "text" { value = "id is ${null_resource.a[1].id}" }
output "obj" { value = { id = null_resource.a[0].id, n = length(null_resource.a) } }
