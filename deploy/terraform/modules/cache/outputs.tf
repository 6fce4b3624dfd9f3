output "primary_endpoint" {
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
  description = "Primary endpoint hostname."
}

output "auth_token_secret_arn" {
  value       = aws_secretsmanager_secret.auth_token.arn
  description = "Secret holding the AUTH token."
}

output "api_redis_url_secret_arn" {
  value       = aws_secretsmanager_secret.api_redis_url.arn
  description = "Secret holding the API's rediss:// URL (BINANCE_ASSETS_API_REDIS_URL)."
}
