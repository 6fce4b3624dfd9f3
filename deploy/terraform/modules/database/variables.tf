variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the DB subnet group."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the instance."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for storage, Performance Insights and the managed master secret."
}

variable "instance_class" {
  type        = string
  description = "Instance class (db.t4g.medium in dev, larger in prod)."
}

variable "multi_az" {
  type        = bool
  description = "Standby in a second AZ (prod)."
}

variable "engine_version" {
  type        = string
  default     = "16"
  description = "PostgreSQL version (major: RDS picks the minor and auto_minor_version_upgrade keeps it current)."
}

variable "engine_major_version" {
  type        = string
  default     = "16"
  description = "Major version (parameter group family)."
}

variable "db_name" {
  type        = string
  default     = "binance"
  description = "Database created with the instance."
}

variable "master_username" {
  type        = string
  default     = "binance_admin"
  description = "Master user; its password lives only in the RDS-managed Secrets Manager secret."
}

variable "allocated_storage_gb" {
  type        = number
  default     = 50
  description = "Initial storage."
}

variable "max_allocated_storage_gb" {
  type        = number
  default     = 500
  description = "Storage autoscaling ceiling."
}

variable "backup_retention_days" {
  type        = number
  default     = 7
  description = "Automated backup retention."
}

variable "deletion_protection" {
  type        = bool
  default     = true
  description = "Refuse deletes of the instance."
}

variable "log_min_duration_ms" {
  type        = number
  default     = 1000
  description = "Statements slower than this are logged."
}
