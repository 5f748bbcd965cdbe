resource "null_resource" "a" {
  count    = 2
  triggers = { x = "1" }
}
resource "null_resource" "b" {
  triggers = { a = null_resource.a[1].id }
}
