output "n" { value = 0 }
