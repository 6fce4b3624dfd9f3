variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region (the backend block names it too)."
}

variable "aws_account_id" {
  type        = string
  description = "The prod account; the provider refuses any other."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate (in var.region) of the HTTPS listeners."
}

variable "github_repository" {
  type        = string
  description = "owner/name of the GitHub repository the OIDC roles trust."
}

variable "create_github_oidc_provider" {
  type        = bool
  default     = true
  description = "Create the account's GitHub OIDC provider (false if another env in this account has it)."
}

variable "cognito_domain_prefix" {
  type        = string
  default     = "binance-merchant-platform"
  description = "Cognito hosted domain prefix (globally unique; -prod is appended)."
}

variable "api_domain_name" {
  type        = string
  default     = ""
  description = "DNS name of the API (empty: the ALB's name)."
}

variable "dagster_domain_name" {
  type        = string
  default     = ""
  description = "Private DNS name of the Dagster UI (empty: the internal ALB's name)."
}

variable "admin_cidrs" {
  type        = list(string)
  default     = []
  description = "VPN/office networks allowed to the Dagster UI."
}

variable "alarm_emails" {
  type        = list(string)
  default     = []
  description = "Addresses notified by the CloudWatch alarms."
}

variable "enable_waf" {
  type        = bool
  default     = true
  description = "WAF in front of the API."
}

variable "image_tag" {
  type        = string
  default     = "latest-prod"
  description = "Image tag of the first task definition revisions (deploys register later ones)."
}
