output "url" {
  value       = "https://${var.domain_name != "" ? var.domain_name : aws_lb.webserver.dns_name}"
  description = "URL of the Dagster UI (from the VPC or VPN)."
}

output "target_group_arn" {
  value       = aws_lb_target_group.webserver.arn
  description = "Target group the webserver service registers in."
}
