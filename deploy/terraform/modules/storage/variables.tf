variable "project" {
  type        = string
  description = "Bucket name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the data buckets."
}

variable "noncurrent_version_expiry_days" {
  type        = number
  default     = 90
  description = "Overwritten or deleted object versions are kept this long."
}

variable "access_log_retention_days" {
  type        = number
  default     = 365
  description = "S3 and ALB access logs are kept this long."
}
