resource "null_resource" "a" {
  for_each = { c = "4" }
  triggers = { k = each.key, v = each.value }
}
output "keys" { value = keys(null_resource.a) }
