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

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the internal ALB."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the internal ALB."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the HTTPS listener."
}

variable "domain_name" {
  type        = string
  default     = ""
  description = "Private DNS name of the UI (dagster_webserver_url); empty: the ALB's own name."
}

variable "access_logs_bucket" {
  type        = string
  description = "Bucket of the ALB access logs."
}

variable "container_port" {
  type        = number
  default     = 3000
  description = "Port of the webserver container."
}

variable "deletion_protection" {
  type        = bool
  default     = true
  description = "Refuse deletes of the ALB."
}
