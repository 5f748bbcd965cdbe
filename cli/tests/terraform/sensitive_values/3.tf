variable "names" {
  type      = set(string)
  default   = ["a", "b"]
  sensitive = true
}
resource "null_resource" "a" {
  for_each = var.names
}
