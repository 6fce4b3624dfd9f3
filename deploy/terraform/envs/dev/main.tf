# The dev environment: the platform (modules/platform), sized for dev. The envs differ only in the
# sizing below, the backend (versions.tf) and the provider's account and tags (providers.tf).
module "platform" {
  source      = "../../modules/platform"
  environment = "dev"

  # terraform.tfvars, as it is (null: the module's default)
  certificate_arn             = var.certificate_arn
  github_repository           = var.github_repository
  create_github_oidc_provider = var.create_github_oidc_provider
  cognito_domain_prefix       = var.cognito_domain_prefix
  api_domain_name             = var.api_domain_name
  dagster_domain_name         = var.dagster_domain_name
  admin_cidrs                 = var.admin_cidrs
  alarm_emails                = var.alarm_emails
  enable_waf                  = var.enable_waf
  image_tag                   = var.image_tag

  vpc_cidr           = "10.10.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  single_nat_gateway = true

  db_instance_class        = "db.t4g.medium"
  db_multi_az              = false
  db_storage_gb            = 50
  db_backup_retention_days = 7

  cache_node_type = "cache.t4g.small"
  cache_nodes     = 1

  api_min_tasks = 1
  api_max_tasks = 2

  service_sizes = {
    "dagster-webserver" = { cpu = 512, memory = 1024, desired_count = 1 }
    "dagster-daemon"    = { cpu = 512, memory = 1024, desired_count = 1 }
    "code-market-data"  = { cpu = 512, memory = 2048, desired_count = 1 }
    "code-ml"           = { cpu = 512, memory = 2048, desired_count = 1 }
    "api"               = { cpu = 512, memory = 1024, desired_count = 1 }
    "dagster-exporter"  = { cpu = 256, memory = 512, desired_count = 1 }
  }
}
