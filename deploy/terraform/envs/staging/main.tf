# The staging environment: every module, sized for staging. The module calls are the same in every env
# (tests/deploy/test_terraform_wiring.py); only the locals below differ.
locals {
  project      = "binance-merchant-platform"
  environment  = "staging"
  state_bucket = "${local.project}-${local.environment}-tfstate"

  vpc_cidr           = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  single_nat_gateway = true
  log_retention_days = 365

  db_instance_class        = "db.t4g.large"
  db_multi_az              = false
  db_storage_gb            = 100
  db_backup_retention_days = 7

  cache_node_type = "cache.t4g.small"
  cache_nodes     = 2

  api_min_tasks = 2
  api_max_tasks = 4

  service_names = keys(local.service_sizes)
  service_sizes = {
    "dagster-webserver" = { cpu = 512, memory = 1024, desired_count = 1 }
    "dagster-daemon"    = { cpu = 512, memory = 1024, desired_count = 1 }
    "code-market-data"  = { cpu = 1024, memory = 2048, desired_count = 1 }
    "code-ml"           = { cpu = 1024, memory = 2048, desired_count = 1 }
    "api"               = { cpu = 512, memory = 1024, desired_count = 2 }
    "dagster-exporter"  = { cpu = 256, memory = 512, desired_count = 1 }
  }
}

module "kms" {
  source      = "../../modules/kms"
  project     = local.project
  environment = local.environment
}

module "network" {
  source             = "../../modules/network"
  project            = local.project
  environment        = local.environment
  vpc_cidr           = local.vpc_cidr
  availability_zones = local.availability_zones
  single_nat_gateway = local.single_nat_gateway
  kms_key_arn        = module.kms.key_arn
  log_retention_days = local.log_retention_days
  admin_cidrs        = var.admin_cidrs
}

module "ecr" {
  source      = "../../modules/ecr"
  project     = local.project
  kms_key_arn = module.kms.key_arn
}

module "storage" {
  source      = "../../modules/storage"
  project     = local.project
  environment = local.environment
  kms_key_arn = module.kms.key_arn
}

module "database" {
  source                = "../../modules/database"
  project               = local.project
  environment           = local.environment
  subnet_ids            = module.network.private_subnet_ids
  security_group_id     = module.network.database_security_group_id
  kms_key_arn           = module.kms.key_arn
  instance_class        = local.db_instance_class
  multi_az              = local.db_multi_az
  allocated_storage_gb  = local.db_storage_gb
  backup_retention_days = local.db_backup_retention_days
}

module "cache" {
  source             = "../../modules/cache"
  project            = local.project
  environment        = local.environment
  subnet_ids         = module.network.private_subnet_ids
  security_group_id  = module.network.cache_security_group_id
  kms_key_arn        = module.kms.key_arn
  node_type          = local.cache_node_type
  num_cache_clusters = local.cache_nodes
}

module "secrets" {
  source      = "../../modules/secrets"
  project     = local.project
  environment = local.environment
  kms_key_arn = module.kms.key_arn
}

module "cognito" {
  source        = "../../modules/cognito"
  project       = local.project
  environment   = local.environment
  domain_prefix = var.cognito_domain_prefix
}

module "monitoring" {
  source                      = "../../modules/monitoring"
  project                     = local.project
  environment                 = local.environment
  kms_key_arn                 = module.kms.key_arn
  service_names               = local.service_names
  log_retention_days          = local.log_retention_days
  alarm_emails                = var.alarm_emails
  ecs_cluster_name            = module.ecs.cluster_name
  alb_arn_suffix              = module.api.alb_arn_suffix
  api_target_group_arn_suffix = module.api.target_group_arn_suffix
  db_instance_id              = module.database.instance_id
}

module "api" {
  source             = "../../modules/api"
  project            = local.project
  environment        = local.environment
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  security_group_id  = module.network.public_alb_security_group_id
  certificate_arn    = var.certificate_arn
  domain_name        = var.api_domain_name
  access_logs_bucket = module.storage.access_logs_bucket
  kms_key_arn        = module.kms.key_arn
  log_retention_days = local.log_retention_days
  ecs_cluster_name   = module.ecs.cluster_name
  ecs_service_name   = module.ecs.api_service_name
  min_tasks          = local.api_min_tasks
  max_tasks          = local.api_max_tasks
  enable_waf         = var.enable_waf
}

module "webserver_lb" {
  source             = "../../modules/webserver_lb"
  project            = local.project
  environment        = local.environment
  vpc_id             = module.network.vpc_id
  subnet_ids         = module.network.private_subnet_ids
  security_group_id  = module.network.internal_alb_security_group_id
  certificate_arn    = var.certificate_arn
  domain_name        = var.dagster_domain_name
  access_logs_bucket = module.storage.access_logs_bucket
}

module "ecs" {
  source                     = "../../modules/ecs"
  project                    = local.project
  environment                = local.environment
  vpc_id                     = module.network.vpc_id
  private_subnet_ids         = module.network.private_subnet_ids
  tasks_security_group_id    = module.network.tasks_security_group_id
  kms_key_arn                = module.kms.key_arn
  repository_urls            = module.ecr.repository_urls
  image_tag                  = var.image_tag
  service_sizes              = local.service_sizes
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
  source               = "../../modules/github_oidc"
  project              = local.project
  environment          = local.environment
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
