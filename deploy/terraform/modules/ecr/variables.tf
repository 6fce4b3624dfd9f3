variable "project" {
  type        = string
  description = "Repository name prefix."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the images are encrypted with."
}

variable "targets" {
  type        = list(string)
  default     = ["code-location", "api", "dagster"]
  description = "Dockerfile targets, one repository each."
}

variable "untagged_expiry_days" {
  type        = number
  default     = 14
  description = "Untagged images are deleted after this many days."
}

variable "keep_images" {
  type        = number
  default     = 100
  description = "Images kept per repository (the newest)."
}
