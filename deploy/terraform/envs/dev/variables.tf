# Set in terraform.tfvars (terraform.tfvars.example). The platform module describes them and holds the
# defaults of the optional ones: null here means its default.
variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region (the backend block names it too)."
}

variable "aws_account_id" {
  type        = string
  description = "The dev account; the provider refuses any other."
}

variable "certificate_arn" { type = string }
variable "github_repository" { type = string }

variable "create_github_oidc_provider" {
  type    = bool
  default = null
}

variable "cognito_domain_prefix" {
  type    = string
  default = null
}

variable "api_domain_name" {
  type    = string
  default = null
}

variable "dagster_domain_name" {
  type    = string
  default = null
}

variable "admin_cidrs" {
  type    = list(string)
  default = null
}

variable "alarm_emails" {
  type    = list(string)
  default = null
}

variable "enable_waf" {
  type    = bool
  default = null
}

variable "image_tag" {
  type    = string
  default = null
}
