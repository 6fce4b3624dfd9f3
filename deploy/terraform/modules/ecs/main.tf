# Fargate cluster `<project>-<env>` with the six services of the contract. The code servers register in
# the Cloud Map namespace `<env>.bmp.internal` (market-data / ml, port 4000), which the webserver's and
# daemon's workspace (deploy/dagster/workspace.prod.yaml) names. Runs are launched by EcsRunLauncher
# from the daemon/webserver into this cluster, with the code location's image.
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  cluster_name = "${var.project}-${var.environment}"
  region       = data.aws_region.current.region
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
}

resource "aws_ecs_cluster" "main" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = var.exec_log_group_name
      }
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_service_discovery_private_dns_namespace" "main" {
  name        = "${var.environment}.bmp.internal"
  description = "Dagster gRPC code servers of ${var.environment}"
  vpc         = var.vpc_id
}

# market-data.<env>.bmp.internal and ml.<env>.bmp.internal
resource "aws_service_discovery_service" "code" {
  for_each = { for name, svc in local.services : name => svc if svc.discovery_name != null }
  name     = each.value.discovery_name

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.main.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
}
