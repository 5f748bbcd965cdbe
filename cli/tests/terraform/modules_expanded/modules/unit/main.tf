variable "name" { type = string }
variable "size" {
  type    = number
  default = 1
}
resource "null_resource" "part" {
  count    = var.size
  triggers = { name = var.name, i = "${count.index}" }
}
output "ids" { value = null_resource.part[*].id }
output "name" { value = var.name }
