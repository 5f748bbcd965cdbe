variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
resource "null_resource" "a" {
  triggers = { password = var.secret }
}
output "leak" { value = null_resource.a.triggers }
