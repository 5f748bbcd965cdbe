module "counted" {
  source = "./modules/unit"
  count  = 2
  name   = "c${count.index}"
}
module "keyed" {
  source   = "./modules/unit"
  for_each = toset(["x"])
  name     = each.key
  size     = 1
}
output "names" { value = [for m in module.counted : m.name] }
output "keyed" { value = { for k, m in module.keyed : k => length(m.ids) } }
