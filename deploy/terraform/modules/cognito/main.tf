# The user pool whose RS256 JWTs the API verifies (BINANCE_ASSETS_API_AUTH_MODE=cognito), a resource
# server with the API's scopes, and an app client for machine clients (client credentials).
data "aws_region" "current" {}

resource "aws_cognito_user_pool" "main" {
  name                = "${var.project}-${var.environment}"
  deletion_protection = var.deletion_protection
  mfa_configuration   = "OPTIONAL"

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 14
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

# Scopes per route family (README "Auth"): binance-api/market_data, binance-api/predictions, binance-api/admin.
resource "aws_cognito_resource_server" "api" {
  identifier   = "binance-api"
  name         = "binance-api"
  user_pool_id = aws_cognito_user_pool.main.id

  dynamic "scope" {
    for_each = var.scopes
    content {
      scope_name        = scope.key
      scope_description = scope.value
    }
  }
}

# The OAuth token endpoint machine clients get their access tokens from.
resource "aws_cognito_user_pool_domain" "main" {
  domain       = "${var.domain_prefix}-${var.environment}"
  user_pool_id = aws_cognito_user_pool.main.id
}

resource "aws_cognito_user_pool_client" "api" {
  name                                 = "${var.project}-${var.environment}-api"
  user_pool_id                         = aws_cognito_user_pool.main.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = [for s in keys(var.scopes) : "${aws_cognito_resource_server.api.identifier}/${s}"]
  supported_identity_providers         = ["COGNITO"]
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  access_token_validity                = 60
  token_validity_units {
    access_token = "minutes"
  }
}
