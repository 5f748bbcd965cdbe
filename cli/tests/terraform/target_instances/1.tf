resource "null_resource" "a" {
  count    = 3
  triggers = { i = "${count.index}" }
}
resource "null_resource" "b" {
  count    = 3
  triggers = { a = null_resource.a[count.index].id }
}
