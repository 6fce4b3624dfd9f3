variable "project" {
  type        = string
  description = "Name prefix (cluster binance-merchant-platform-<env>)."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod (also the Cloud Map namespace <env>.bmp.internal)."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the Cloud Map namespace."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks."
}

variable "tasks_security_group_id" {
  type        = string
  description = "Security group of every task."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key (ECS Exec logs, secrets, buckets)."
}

variable "repository_urls" {
  type        = map(string)
  description = "Dockerfile target -> ECR repository URL."
}

variable "image_tag" {
  type        = string
  description = "Tag of the first task definition revisions (the deploy pipelines register later ones)."
}

variable "service_sizes" {
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
  }))
  description = "Per service (the six of the contract): Fargate CPU units, memory MiB, tasks."
}

variable "log_group_names" {
  type        = map(string)
  description = "Service -> CloudWatch log group."
}

variable "exec_log_group_name" {
  type        = string
  description = "Log group of ECS Exec sessions."
}

variable "api_target_group_arn" {
  type        = string
  description = "Target group of the API service."
}

variable "webserver_target_group_arn" {
  type        = string
  description = "Target group of the Dagster webserver service."
}

variable "postgres_host" {
  type        = string
  description = "RDS hostname."
}

variable "postgres_port" {
  type        = number
  description = "RDS port."
}

variable "postgres_db" {
  type        = string
  description = "Database name."
}

variable "postgres_username" {
  type        = string
  description = "Database user."
}

variable "postgres_secret_arn" {
  type        = string
  description = "RDS-managed master secret (JSON; its `password` key becomes BINANCE_ASSETS_PG_PASSWORD and DAGSTER_PG_PASSWORD)."
}

variable "alert_webhook_secret_arn" {
  type        = string
  description = "Secret of BINANCE_ASSETS_ALERT_WEBHOOK_URL."
}

variable "api_redis_url_secret_arn" {
  type        = string
  description = "Secret of BINANCE_ASSETS_API_REDIS_URL."
}

variable "secret_arns" {
  type        = list(string)
  description = "Every secret the tasks may resolve (execution role) or EcsRunLauncher may describe."
}

variable "models_bucket" {
  type        = string
  description = "Model registry bucket."
}

variable "compute_logs_bucket" {
  type        = string
  description = "Dagster compute-log bucket."
}

variable "data_bucket_arns" {
  type        = list(string)
  description = "Buckets the Dagster task role reads and writes."
}

variable "cognito_user_pool_id" {
  type        = string
  description = "User pool whose JWTs the API accepts."
}

variable "cognito_app_client_id" {
  type        = string
  description = "App client of the API's tokens."
}

variable "extra_environment" {
  type        = map(string)
  default     = {}
  description = "More plain (non-secret) environment variables for every container."
}
