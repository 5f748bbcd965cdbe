resource "null_resource" "a" {
  count    = 4
  triggers = { i = "${count.index}" }
}
output "ids" { value = length(null_resource.a) }
