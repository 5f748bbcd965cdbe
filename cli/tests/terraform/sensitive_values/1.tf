variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
resource "null_resource" "a" {
  triggers = { password = var.secret }
}
output "safe" { value = "not secret" }
output "hidden" {
  value     = var.secret
  sensitive = true
}
