resource "null_resource" "a" {
  triggers = { x = "2" }
}
data "null_data_source" "after_a" {
  inputs     = { fixed = "v" }
  depends_on = [null_resource.a]
}
output "fixed" { value = data.null_data_source.after_a.outputs["fixed"] }
