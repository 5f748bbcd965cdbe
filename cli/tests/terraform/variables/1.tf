variable "n" {
  type    = number
  default = 1
}
variable "names" {
  type    = set(string)
  default = ["a", "a", "b"]
}
variable "tags" {
  type    = map(string)
  default = { team = "x" }
}
variable "enabled" {
  type    = bool
  default = true
}
resource "null_resource" "counted" {
  count    = var.n
  triggers = var.tags
}
resource "null_resource" "named" {
  for_each = var.names
}
resource "null_resource" "maybe" {
  count = var.enabled ? 1 : 0
}
output "names" { value = var.names }
output "n" { value = length(var.names) }
