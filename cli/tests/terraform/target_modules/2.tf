resource "null_resource" "up" {
  triggers = { v = "2" }
}
module "m" {
  source = "./modules/m"
  x      = null_resource.up.id
}
module "n" {
  source = "./modules/m"
  x      = "fixed"
}
resource "null_resource" "after" {
  triggers = { m = module.m.id }
}
