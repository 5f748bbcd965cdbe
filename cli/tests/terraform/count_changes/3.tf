resource "null_resource" "a" {
  count    = 1
  triggers = { i = "${count.index}" }
}
output "ids" { value = length(null_resource.a) }
