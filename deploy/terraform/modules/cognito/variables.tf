variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "domain_prefix" {
  type        = string
  description = "Globally unique Cognito hosted domain prefix (<prefix>-<env>.auth.<region>.amazoncognito.com)."
}

variable "scopes" {
  type = map(string)
  default = {
    market_data = "Market data routes (/api/v3, bars, daily, gaps, quality)"
    predictions = "Prediction routes"
    admin       = "Model administration routes"
  }
  description = "Resource-server scopes of the API."
}

variable "deletion_protection" {
  type        = string
  default     = "ACTIVE"
  description = "ACTIVE refuses deletes of the user pool."
}
