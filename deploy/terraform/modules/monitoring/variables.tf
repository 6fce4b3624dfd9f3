variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the log groups and the alarm topic."
}

variable "service_names" {
  type        = list(string)
  description = "ECS services: one log group and one CPU alarm each."
}

variable "log_retention_days" {
  type        = number
  default     = 365
  description = "Log retention."
}

variable "alarm_emails" {
  type        = list(string)
  default     = []
  description = "Addresses subscribed to the alarm topic."
}

variable "ecs_cluster_name" {
  type        = string
  description = "Cluster of the services."
}

variable "alb_arn_suffix" {
  type        = string
  description = "LoadBalancer dimension of the API's ALB."
}

variable "api_target_group_arn_suffix" {
  type        = string
  description = "TargetGroup dimension of the API."
}

variable "db_instance_id" {
  type        = string
  description = "RDS instance identifier."
}

variable "api_5xx_per_minute" {
  type        = number
  default     = 5
  description = "5xx answers per minute that count as breaching."
}

variable "api_p95_seconds" {
  type        = number
  default     = 0.2
  description = "p95 target response time threshold."
}

variable "rds_cpu_percent" {
  type        = number
  default     = 80
  description = "RDS CPU threshold."
}

variable "rds_free_storage_gb" {
  type        = number
  default     = 10
  description = "RDS free storage threshold."
}

variable "ecs_cpu_percent" {
  type        = number
  default     = 85
  description = "ECS service CPU threshold."
}
