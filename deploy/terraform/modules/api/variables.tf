variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the target group."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets of the ALB."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the ALB."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the HTTPS listener."
}

variable "domain_name" {
  type        = string
  default     = ""
  description = "DNS name pointed at the ALB (api_url); empty: the ALB's own name."
}

variable "access_logs_bucket" {
  type        = string
  description = "Bucket of the ALB access logs."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the WAF log group."
}

variable "log_retention_days" {
  type        = number
  default     = 365
  description = "Retention of the WAF logs."
}

variable "ecs_cluster_name" {
  type        = string
  description = "Cluster of the API service (autoscaling)."
}

variable "ecs_service_name" {
  type        = string
  description = "The API service (autoscaling)."
}

variable "container_port" {
  type        = number
  default     = 8000
  description = "Port of the API container."
}

variable "min_tasks" {
  type        = number
  description = "Fewest API tasks."
}

variable "max_tasks" {
  type        = number
  description = "Most API tasks."
}

variable "cpu_target_percent" {
  type        = number
  default     = 60
  description = "Average CPU the autoscaling aims at."
}

variable "requests_per_target" {
  type        = number
  default     = 500
  description = "ALB requests per task per minute the autoscaling aims at."
}

variable "enable_waf" {
  type        = bool
  default     = true
  description = "Attach a WAF web ACL to the ALB."
}

variable "waf_rate_limit_per_5min" {
  type        = number
  default     = 3000
  description = "Requests per client IP per 5 minutes before WAF blocks."
}

variable "deletion_protection" {
  type        = bool
  default     = true
  description = "Refuse deletes of the ALB."
}
