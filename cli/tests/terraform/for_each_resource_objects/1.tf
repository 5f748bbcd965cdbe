resource "null_resource" "a" {
  for_each = { p = "1", q = "2" }
  triggers = { v = each.value }
}
resource "null_resource" "b" {
  for_each = null_resource.a
  triggers = { parent = each.value.id, key = each.key }
}
