output "user_pool_id" {
  value       = aws_cognito_user_pool.main.id
  description = "User pool id (BINANCE_ASSETS_API_COGNITO_USER_POOL_ID)."
}

output "app_client_id" {
  value       = aws_cognito_user_pool_client.api.id
  description = "App client id (BINANCE_ASSETS_API_COGNITO_CLIENT_ID)."
}

output "jwks_url" {
  value       = "https://cognito-idp.${data.aws_region.current.region}.amazonaws.com/${aws_cognito_user_pool.main.id}/.well-known/jwks.json"
  description = "JWKS the API verifies tokens against."
}

output "token_url" {
  value       = "https://${aws_cognito_user_pool_domain.main.domain}.auth.${data.aws_region.current.region}.amazoncognito.com/oauth2/token"
  description = "OAuth token endpoint (client credentials)."
}
