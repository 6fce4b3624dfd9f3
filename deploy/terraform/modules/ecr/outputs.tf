output "repository_urls" {
  value       = { for target, repo in aws_ecr_repository.target : target => repo.repository_url }
  description = "Dockerfile target -> repository URL."
}

output "repository_arns" {
  value       = [for repo in aws_ecr_repository.target : repo.arn]
  description = "Repository ARNs (for the deploy role's push permissions)."
}
