variable "project" {
  type        = string
  description = "Name prefix of every resource (binance-merchant-platform)."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "deletion_window_days" {
  type        = number
  default     = 30
  description = "Days a scheduled key deletion can still be cancelled."
}
