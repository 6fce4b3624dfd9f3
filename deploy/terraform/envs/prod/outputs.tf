# The contract outputs (`terraform output -raw NAME` in deploy.yml and the Jenkinsfile), described in
# modules/platform/outputs.tf.
output "ecr_repository_urls" { value = module.platform.ecr_repository_urls }
output "ecs_cluster_name" { value = module.platform.ecs_cluster_name }
output "api_url" { value = module.platform.api_url }
output "dagster_webserver_url" { value = module.platform.dagster_webserver_url }
output "landing_bucket" { value = module.platform.landing_bucket }
output "models_bucket" { value = module.platform.models_bucket }
output "compute_logs_bucket" { value = module.platform.compute_logs_bucket }
output "cognito_user_pool_id" { value = module.platform.cognito_user_pool_id }
output "cognito_app_client_id" { value = module.platform.cognito_app_client_id }
output "cognito_jwks_url" { value = module.platform.cognito_jwks_url }
output "github_deploy_role_arn" { value = module.platform.github_deploy_role_arn }
output "data_quality_role_arn" { value = module.platform.data_quality_role_arn }
output "check_task_family" { value = module.platform.check_task_family }
output "alarm_topic_arn" { value = module.platform.alarm_topic_arn }
