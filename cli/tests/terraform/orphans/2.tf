resource "null_resource" "b" {
  count = 2
}
output "n" { value = length(null_resource.b) }
