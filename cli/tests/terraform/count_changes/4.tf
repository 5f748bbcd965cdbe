resource "null_resource" "a" {
  count    = 0
  triggers = { i = "${count.index}" }
}
output "ids" { value = length(null_resource.a) }
