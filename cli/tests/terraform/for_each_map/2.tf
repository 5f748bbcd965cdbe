resource "null_resource" "a" {
  for_each = { a = "1", b = "3", c = "4" }
  triggers = { k = each.key, v = each.value }
}
output "keys" { value = keys(null_resource.a) }
