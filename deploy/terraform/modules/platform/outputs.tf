# What deploy.yml and the Jenkinsfile read with `terraform output -raw NAME` (contract names); every env
# re-exports each under its own name.
output "ecr_repository_urls" {
  value       = module.ecr.repository_urls
  description = "Dockerfile target -> ECR repository URL."
}

output "ecs_cluster_name" {
  value       = module.ecs.cluster_name
  description = "ECS cluster."
}

output "api_url" {
  value       = module.api.api_url
  description = "Base URL of the API."
}

output "dagster_webserver_url" {
  value       = module.webserver_lb.url
  description = "Dagster UI (internal ALB: VPC or VPN)."
}

output "landing_bucket" {
  value       = module.storage.landing_bucket
  description = "Landing bucket."
}

output "models_bucket" {
  value       = module.storage.models_bucket
  description = "Model registry bucket."
}

output "compute_logs_bucket" {
  value       = module.storage.compute_logs_bucket
  description = "Compute-log bucket."
}

output "cognito_user_pool_id" {
  value       = module.cognito.user_pool_id
  description = "User pool of the API's JWTs."
}

output "cognito_app_client_id" {
  value       = module.cognito.app_client_id
  description = "App client of the API's JWTs."
}

output "cognito_jwks_url" {
  value       = module.cognito.jwks_url
  description = "JWKS URL of the user pool."
}

output "github_deploy_role_arn" {
  value       = module.github_oidc.deploy_role_arn
  description = "Role deploy.yml assumes (OIDC)."
}

output "data_quality_role_arn" {
  value       = module.github_oidc.data_quality_role_arn
  description = "Role data-quality.yml assumes (OIDC)."
}

output "check_task_family" {
  value       = module.ecs.code_market_data_task_family
  description = "Task definition family data-quality.yml runs `binance-assets check` with."
}

output "alarm_topic_arn" {
  value       = module.monitoring.alarm_topic_arn
  description = "SNS topic of the alarms."
}
