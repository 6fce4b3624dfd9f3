# ElastiCache Redis for the API's rate limits and cache: TLS in transit, KMS at rest, AUTH token.
# The token is generated here, kept in Secrets Manager and read back from there for the replication group;
# the API gets the whole rediss:// URL from a second secret (contract: <project>/<env>/api-redis-url).
# Both values are also in the Terraform state, which is why the state bucket is KMS-encrypted and private.
resource "random_password" "auth_token" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "auth_token" {
  #checkov:skip=CKV2_AWS_57:An ElastiCache AUTH token is rotated by changing it in Terraform (ROTATE strategy keeps the old one valid meanwhile); Secrets Manager has no rotation function for it
  name        = "${var.project}/${var.environment}/redis-auth-token"
  description = "AUTH token of the ${var.environment} Redis replication group"
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  secret_id     = aws_secretsmanager_secret.auth_token.id
  secret_string = random_password.auth_token.result
}

resource "aws_elasticache_subnet_group" "main" {
  name       = "${var.project}-${var.environment}"
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_replication_group" "main" {
  #checkov:skip=CKV2_AWS_50:Automatic failover and Multi-AZ are on whenever num_cache_clusters > 1 (staging, prod); dev runs one node
  replication_group_id = "${var.project}-${var.environment}"
  description          = "API rate limits and cache (${var.environment})"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  num_cache_clusters   = var.num_cache_clusters
  port                 = 6379

  automatic_failover_enabled = var.num_cache_clusters > 1
  multi_az_enabled           = var.num_cache_clusters > 1

  subnet_group_name  = aws_elasticache_subnet_group.main.name
  security_group_ids = [var.security_group_id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  auth_token                 = aws_secretsmanager_secret_version.auth_token.secret_string
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit   = var.snapshot_retention_days
  auto_minor_version_upgrade = true
  apply_immediately          = false
}

resource "aws_secretsmanager_secret" "api_redis_url" {
  #checkov:skip=CKV2_AWS_57:Derived from the AUTH token above and rewritten by Terraform whenever the token changes
  name        = "${var.project}/${var.environment}/api-redis-url"
  description = "rediss:// URL of the API's Redis, with its AUTH token (BINANCE_ASSETS_API_REDIS_URL)"
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "api_redis_url" {
  secret_id     = aws_secretsmanager_secret.api_redis_url.id
  secret_string = "rediss://:${random_password.auth_token.result}@${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0"
}
