output "api_url" {
  value       = "https://${var.domain_name != "" ? var.domain_name : aws_lb.api.dns_name}"
  description = "Base URL of the API."
}

output "alb_dns_name" {
  value       = aws_lb.api.dns_name
  description = "DNS name of the ALB (CNAME/alias target)."
}

output "alb_arn_suffix" {
  value       = aws_lb.api.arn_suffix
  description = "LoadBalancer dimension of the ALB's CloudWatch metrics."
}

output "target_group_arn" {
  value       = aws_lb_target_group.api.arn
  description = "Target group the ECS API service registers in."
}

output "target_group_arn_suffix" {
  value       = aws_lb_target_group.api.arn_suffix
  description = "TargetGroup dimension of the CloudWatch metrics."
}
