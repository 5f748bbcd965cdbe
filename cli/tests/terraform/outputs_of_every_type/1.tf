resource "null_resource" "a" {}
output "s" { value = "text" }
output "n" { value = 42 }
output "f" { value = 1.5 }
output "b" { value = true }
output "l" { value = tolist(["b", "a"]) }
output "set" { value = toset(["b", "a", "b"]) }
output "m" { value = tomap({ x = "1", y = "2" }) }
output "o" { value = { name = "n", size = 2, tags = ["t"] } }
output "t" { value = ["a", 1, true] }
output "e" { value = [] }
output "id" { value = null_resource.a.id }
output "nested" { value = { for k in ["p", "q"] : k => toset([k, "z"]) } }
