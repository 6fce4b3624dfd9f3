variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the secrets."
}

variable "external_secrets" {
  type = map(string)
  default = {
    "alert-webhook-url" = "Alert webhook URL (BINANCE_ASSETS_ALERT_WEBHOOK_URL)"
  }
  description = "Secret name suffix -> description."
}
