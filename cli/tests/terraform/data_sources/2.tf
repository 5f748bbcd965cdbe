resource "null_resource" "a" {
  triggers = { x = "2" }
}
data "null_data_source" "known" {
  inputs = { greeting = "hello" }
}
data "null_data_source" "later" {
  inputs = { a = null_resource.a.id, x = "2" }
}
resource "null_resource" "b" {
  triggers = { from_data = data.null_data_source.later.outputs["a"], known = data.null_data_source.known.outputs["greeting"] }
}
output "later" { value = data.null_data_source.later.outputs }
output "known" { value = data.null_data_source.known.outputs["greeting"] }
