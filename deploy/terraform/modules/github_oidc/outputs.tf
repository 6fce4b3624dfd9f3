output "deploy_role_arn" {
  value       = aws_iam_role.deploy.arn
  description = "Role deploy.yml assumes."
}

output "data_quality_role_arn" {
  value       = aws_iam_role.data_quality.arn
  description = "Role data-quality.yml assumes."
}
