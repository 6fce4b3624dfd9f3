variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod: also the GitHub environment the roles trust."
}

variable "github_repository" {
  type        = string
  description = "owner/name of the repository whose workflows assume the roles."
}

variable "create_oidc_provider" {
  type        = bool
  default     = true
  description = "Create the account's GitHub OIDC provider (false when another environment in the same account made it)."
}

variable "state_bucket" {
  type        = string
  description = "Terraform state bucket of this environment."
}

variable "state_kms_key_arn" {
  type        = string
  description = "KMS key of the state bucket."
}

variable "ecr_repository_arns" {
  type        = list(string)
  description = "Repositories the deploy role pushes to."
}

variable "ecs_cluster_name" {
  type        = string
  description = "Cluster of the services."
}

variable "ecs_cluster_arn" {
  type        = string
  description = "Cluster ARN (RunTask / ListTasks condition)."
}

variable "ecs_task_role_arns" {
  type        = list(string)
  description = "Task and execution roles the workflows may pass to ECS."
}

variable "check_task_family" {
  type        = string
  description = "Task definition family the data-quality check runs (the market_data code location)."
}

variable "log_group_arns" {
  type        = list(string)
  description = "Log groups the data-quality role reads."
}
