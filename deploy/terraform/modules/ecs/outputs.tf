output "cluster_name" {
  value       = aws_ecs_cluster.main.name
  description = "ECS cluster name."
}

output "cluster_arn" {
  value       = aws_ecs_cluster.main.arn
  description = "ECS cluster ARN."
}

output "service_names" {
  value       = [for s in aws_ecs_service.main : s.name]
  description = "The six services."
}

output "api_service_name" {
  value       = aws_ecs_service.main["api"].name
  description = "The API service (its autoscaling target must come after it)."
}

output "task_role_arns" {
  value       = [aws_iam_role.dagster_task.arn, aws_iam_role.minimal_task.arn, aws_iam_role.execution.arn]
  description = "Roles the deploy pipelines pass when they register task definitions."
}

output "code_market_data_task_family" {
  value       = aws_ecs_task_definition.main["code-market-data"].family
  description = "Task definition family of the market_data location (the data-quality check runs it)."
}

output "namespace" {
  value       = aws_service_discovery_private_dns_namespace.main.name
  description = "Cloud Map namespace of the code servers."
}
