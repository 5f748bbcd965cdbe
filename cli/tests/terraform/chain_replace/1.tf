resource "null_resource" "a" {
  triggers = { x = "1" }
}
resource "null_resource" "b" {
  triggers = { a = null_resource.a.id }
}
resource "null_resource" "c" {
  triggers = { b = null_resource.b.id }
}
output "c" { value = null_resource.c.triggers }
