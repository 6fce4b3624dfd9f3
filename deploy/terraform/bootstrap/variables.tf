variable "environment" {
  type        = string
  description = "dev, staging or prod."
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "aws_account_id" {
  type        = string
  description = "The environment's AWS account."
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "Region of the state bucket and lock table (the envs' backend blocks name eu-west-1)."
}
