# The whole platform of one environment: every module, wired together. envs/{dev,staging,prod} each call
# it once with their sizing (tests/terraform/test_wiring.py checks the wiring here and there).
locals {
  project       = "binance-merchant-platform"
  state_bucket  = "${local.project}-${var.environment}-tfstate"
  service_names = keys(var.service_sizes)
  image_tag     = coalesce(var.image_tag, "latest-${var.environment}")
}

module "kms" {
  source      = "../kms"
  project     = local.project
  environment = var.environment
}

module "network" {
  source             = "../network"
  project            = local.project
  environment        = var.environment
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
  single_nat_gateway = var.single_nat_gateway
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  admin_cidrs        = var.admin_cidrs
}

module "ecr" {
  source      = "../ecr"
  project     = local.project
  kms_key_arn = module.kms.key_arn
}

module "storage" {
  source      = "../storage"
  project     = local.project
  environment = var.environment
  kms_key_arn = module.kms.key_arn
}

module "database" {
  source                = "../database"
  project               = local.project
  environment           = var.environment
  subnet_ids            = module.network.private_subnet_ids
  security_group_id     = module.network.database_security_group_id
  kms_key_arn           = module.kms.key_arn
  instance_class        = var.db_instance_class
  multi_az              = var.db_multi_az
  allocated_storage_gb  = var.db_storage_gb
  backup_retention_days = var.db_backup_retention_days
}

module "cache" {
  source             = "../cache"
  project            = local.project
  environment        = var.environment
  subnet_ids         = module.network.private_subnet_ids
  security_group_id  = module.network.cache_security_group_id
  kms_key_arn        = module.kms.key_arn
  node_type          = var.cache_node_type
  num_cache_clusters = var.cache_nodes
}

module "secrets" {
  source      = "../secrets"
  project     = local.project
  environment = var.environment
  kms_key_arn = module.kms.key_arn
}

module "cognito" {
  source        = "../cognito"
  project       = local.project
  environment   = var.environment
  domain_prefix = var.cognito_domain_prefix
}

module "monitoring" {
  source                      = "../monitoring"
  project                     = local.project
  environment                 = var.environment
  kms_key_arn                 = module.kms.key_arn
  service_names               = local.service_names
  log_retention_days          = var.log_retention_days
  alarm_emails                = var.alarm_emails
  ecs_cluster_name            = module.ecs.cluster_name
  alb_arn_suffix              = module.api.alb_arn_suffix
  api_target_group_arn_suffix = module.api.target_group_arn_suffix
  db_instance_id              = module.database.instance_id
}

module "api" {
  source             = "../api"
  project            = local.project
  environment        = var.environment
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  security_group_id  = module.network.public_alb_security_group_id
  certificate_arn    = var.certificate_arn
  domain_name        = var.api_domain_name
  access_logs_bucket = module.storage.access_logs_bucket
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  ecs_cluster_name   = module.ecs.cluster_name
  ecs_service_name   = module.ecs.api_service_name
  min_tasks          = var.api_min_tasks
  max_tasks          = var.api_max_tasks
  enable_waf         = var.enable_waf
}

module "webserver_lb" {
  source             = "../webserver_lb"
  project            = local.project
  environment        = var.environment
  vpc_id             = module.network.vpc_id
  subnet_ids         = module.network.private_subnet_ids
  security_group_id  = module.network.internal_alb_security_group_id
  certificate_arn    = var.certificate_arn
  domain_name        = var.dagster_domain_name
  access_logs_bucket = module.storage.access_logs_bucket
}

module "ecs" {
  source                     = "../ecs"
  project                    = local.project
  environment                = var.environment
  vpc_id                     = module.network.vpc_id
  private_subnet_ids         = module.network.private_subnet_ids
  tasks_security_group_id    = module.network.tasks_security_group_id
  kms_key_arn                = module.kms.key_arn
  repository_urls            = module.ecr.repository_urls
  image_tag                  = local.image_tag
  service_sizes              = var.service_sizes
  log_group_names            = module.monitoring.log_group_names
  exec_log_group_name        = module.monitoring.exec_log_group_name
  api_target_group_arn       = module.api.target_group_arn
  webserver_target_group_arn = module.webserver_lb.target_group_arn
  postgres_host              = module.database.address
  postgres_port              = module.database.port
  postgres_db                = module.database.db_name
  postgres_username          = module.database.master_username
  postgres_secret_arn        = module.database.master_user_secret_arn
  alert_webhook_secret_arn   = module.secrets.alert_webhook_url_secret_arn
  api_redis_url_secret_arn   = module.cache.api_redis_url_secret_arn
  secret_arns                = concat([module.database.master_user_secret_arn, module.cache.api_redis_url_secret_arn], module.secrets.secret_arns)
  models_bucket              = module.storage.models_bucket
  compute_logs_bucket        = module.storage.compute_logs_bucket
  data_bucket_arns           = module.storage.data_bucket_arns
  cognito_user_pool_id       = module.cognito.user_pool_id
  cognito_app_client_id      = module.cognito.app_client_id
}

module "github_oidc" {
  source               = "../github_oidc"
  project              = local.project
  environment          = var.environment
  github_repository    = var.github_repository
  create_oidc_provider = var.create_github_oidc_provider
  state_bucket         = local.state_bucket
  state_kms_key_arn    = data.aws_kms_alias.state.target_key_arn
  ecr_repository_arns  = module.ecr.repository_arns
  ecs_cluster_name     = module.ecs.cluster_name
  ecs_cluster_arn      = module.ecs.cluster_arn
  ecs_task_role_arns   = module.ecs.task_role_arns
  check_task_family    = module.ecs.code_market_data_task_family
  log_group_arns       = module.monitoring.log_group_arns
}

data "aws_kms_alias" "state" {
  name = "alias/${local.state_bucket}"
}
