resource "null_resource" "a" {
  triggers = { x = "1" }
}
resource "null_resource" "b" {
  depends_on = [null_resource.a]
}
output "b" { value = null_resource.b.id }
