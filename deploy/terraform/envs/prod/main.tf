# The prod environment: the platform (modules/platform), sized for prod. The envs differ only in the
# sizing below, the backend (versions.tf) and the provider's account and tags (providers.tf).
module "platform" {
  source      = "../../modules/platform"
  environment = "prod"

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

  vpc_cidr           = "10.30.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  single_nat_gateway = false

  db_instance_class        = "db.r6g.large"
  db_multi_az              = true
  db_storage_gb            = 200
  db_backup_retention_days = 30

  cache_node_type = "cache.r7g.large"
  cache_nodes     = 2

  api_min_tasks = 2
  api_max_tasks = 10

  service_sizes = {
    "dagster-webserver" = { cpu = 1024, memory = 2048, desired_count = 1 }
    "dagster-daemon"    = { cpu = 1024, memory = 2048, desired_count = 1 }
    "code-market-data"  = { cpu = 1024, memory = 4096, desired_count = 1 }
    "code-ml"           = { cpu = 1024, memory = 4096, desired_count = 1 }
    "api"               = { cpu = 1024, memory = 2048, desired_count = 2 }
    "dagster-exporter"  = { cpu = 256, memory = 512, desired_count = 1 }
  }
}
