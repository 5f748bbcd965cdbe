resource "null_resource" "a" {
  for_each = toset(["y", "z"])
  triggers = { name = each.value }
}
