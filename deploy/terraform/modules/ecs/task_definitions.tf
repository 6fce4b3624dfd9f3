# One task definition per service. Secrets reach the containers only as Secrets Manager ARNs (valueFrom);
# ECS resolves them with the execution role when the task starts.
locals {
  pg_password_from = "${var.postgres_secret_arn}:password::"
  postgres_url     = "postgresql://${var.postgres_username}@${var.postgres_host}:${var.postgres_port}/${var.postgres_db}?sslmode=require"

  common_environment = merge({
    AWS_REGION                        = local.region
    DEPLOY_ENV                        = var.environment
    BINANCE_ASSETS_ENV                = "prod"
    BINANCE_ASSETS_POSTGRES_URL       = local.postgres_url
    BINANCE_ASSETS_DATA_DIR           = "/opt/dagster/data"
    BINANCE_ASSETS_ARCHIVE_BASE_URL   = "https://data.binance.vision"
    BINANCE_ASSETS_MODEL_REGISTRY_URL = "s3://${var.models_bucket}/registry"
  }, var.extra_environment)

  # The names deploy/dagster/prod.yaml and workspace.prod.yaml read.
  dagster_environment = {
    DAGSTER_PG_HOST               = var.postgres_host
    DAGSTER_PG_PORT               = tostring(var.postgres_port)
    DAGSTER_PG_DB                 = var.postgres_db
    DAGSTER_PG_USER               = var.postgres_username
    DAGSTER_COMPUTE_LOG_BUCKET    = var.compute_logs_bucket
    DAGSTER_ECS_CLUSTER           = local.cluster_name
    DAGSTER_CODE_MARKET_DATA_HOST = "market-data.${aws_service_discovery_private_dns_namespace.main.name}"
    DAGSTER_CODE_ML_HOST          = "ml.${aws_service_discovery_private_dns_namespace.main.name}"
    # ARNs, not values: EcsRunLauncher hands them to the run tasks as `secrets` (valueFrom).
    DAGSTER_PG_PASSWORD_SECRET_ARN   = local.pg_password_from
    DAGSTER_ALERT_WEBHOOK_SECRET_ARN = var.alert_webhook_secret_arn
  }

  api_environment = {
    BINANCE_ASSETS_API_AUTH_MODE            = "cognito"
    BINANCE_ASSETS_API_COGNITO_REGION       = local.region
    BINANCE_ASSETS_API_COGNITO_USER_POOL_ID = var.cognito_user_pool_id
    BINANCE_ASSETS_API_COGNITO_CLIENT_ID    = var.cognito_app_client_id
    BINANCE_ASSETS_API_MARKET_DATA_PUBLIC   = "false"
    PROMETHEUS_MULTIPROC_DIR                = "/tmp/prometheus" # created and owned by uid 10001 in the api image
  }

  dagster_secrets = {
    BINANCE_ASSETS_PG_PASSWORD       = local.pg_password_from
    DAGSTER_PG_PASSWORD              = local.pg_password_from
    BINANCE_ASSETS_ALERT_WEBHOOK_URL = var.alert_webhook_secret_arn
  }

  api_secrets = {
    BINANCE_ASSETS_PG_PASSWORD   = local.pg_password_from
    BINANCE_ASSETS_API_REDIS_URL = var.api_redis_url_secret_arn
  }

  images = { for name, svc in local.services : name => "${var.repository_urls[svc.target]}:${var.image_tag}" }
}

resource "aws_ecs_task_definition" "main" {
  #checkov:skip=CKV_AWS_336:Dagster and dbt write inside the image (DAGSTER_HOME storage and logs, dbt's target/ and logs/); a read-only root breaks runs, which inherit this task definition
  for_each                 = local.services
  family                   = "${local.cluster_name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.service_sizes[each.key].cpu)
  memory                   = tostring(var.service_sizes[each.key].memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = each.value.launches_runs ? aws_iam_role.dagster_task.arn : aws_iam_role.minimal_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name                   = each.key
      image                  = local.images[each.key]
      command                = each.value.command
      essential              = true
      readonlyRootFilesystem = false
      portMappings           = each.value.port == null ? [] : [{ containerPort = each.value.port, protocol = "tcp" }]
      environment = [
        for k, v in merge(
          local.common_environment,
          each.value.dagster ? local.dagster_environment : local.api_environment,
          # EcsRunLauncher starts a location's runs with the image its code server reports.
          each.value.discovery_name != null ? { DAGSTER_CURRENT_IMAGE = local.images[each.key] } : {},
        ) : { name = k, value = v }
      ]
      secrets = [
        for k, v in(each.value.dagster ? local.dagster_secrets : local.api_secrets) : { name = k, valueFrom = v }
      ]
      healthCheck = {
        command     = ["CMD-SHELL", each.value.health]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_names[each.key]
          awslogs-region        = local.region
          awslogs-stream-prefix = each.key
        }
      }
    }
  ])
}
