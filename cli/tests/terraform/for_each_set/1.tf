resource "null_resource" "a" {
  for_each = toset(["x", "y", "x"])
  triggers = { name = each.value }
}
