variable "name" {
  type        = string
  description = "Bucket name."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the default encryption."
}

variable "access_logs_bucket" {
  type        = string
  description = "Target bucket of the server access logs."
}

variable "noncurrent_version_expiry_days" {
  type        = number
  default     = 90
  description = "Overwritten or deleted object versions are kept this long."
}
