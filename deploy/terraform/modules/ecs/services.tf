# What each service runs (the contract's commands), its image target, port and health check.
locals {
  workspace  = "/opt/dagster/app/workspace.yaml"
  http_probe = "python -c \"import sys,urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%d%s', timeout=4).status == 200 else 1)\""

  # launches_runs: the task gets the Dagster task role (EcsRunLauncher permissions and the data buckets):
  # the webserver and daemon launch runs, runs inherit their task definition, code servers evaluate sensors.
  services = {
    "dagster-webserver" = {
      target         = "dagster"
      command        = ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", local.workspace]
      port           = 3000
      health         = format(local.http_probe, 3000, "/server_info")
      dagster        = true
      launches_runs  = true
      discovery_name = null
    }
    "dagster-daemon" = {
      target         = "dagster"
      command        = ["dagster-daemon", "run", "-w", local.workspace]
      port           = null
      health         = "dagster-daemon liveness-check"
      dagster        = true
      launches_runs  = true
      discovery_name = null
    }
    "code-market-data" = {
      target         = "code-location"
      command        = ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "binance_assets.definitions", "-a", "defs"]
      port           = 4000
      health         = "dagster api grpc-health-check -p 4000"
      dagster        = true
      launches_runs  = true
      discovery_name = "market-data"
    }
    "code-ml" = {
      target         = "code-location"
      command        = ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "binance_assets.ml.definitions", "-a", "defs"]
      port           = 4000
      health         = "dagster api grpc-health-check -p 4000"
      dagster        = true
      launches_runs  = true
      discovery_name = "ml"
    }
    "api" = {
      target         = "api"
      command        = ["uvicorn", "--factory", "binance_api.main:create_app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
      port           = 8000
      health         = format(local.http_probe, 8000, "/health/live")
      dagster        = false
      launches_runs  = false
      discovery_name = null
    }
    "dagster-exporter" = {
      target         = "dagster"
      command        = ["binance-assets", "exporter", "--port", "9108"]
      port           = 9108
      health         = format(local.http_probe, 9108, "/metrics")
      dagster        = true
      launches_runs  = false
      discovery_name = null
    }
  }

  load_balanced = {
    "api"               = var.api_target_group_arn
    "dagster-webserver" = var.webserver_target_group_arn
  }
}

resource "aws_ecs_service" "main" {
  for_each         = local.services
  name             = each.key
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.main[each.key].arn
  desired_count    = var.service_sizes[each.key].desired_count
  launch_type      = "FARGATE"
  platform_version = "LATEST"
  propagate_tags   = "SERVICE"

  enable_ecs_managed_tags = true
  enable_execute_command  = false

  # The daemon must never run twice: stop the old task before starting the new one.
  deployment_minimum_healthy_percent = each.key == "dagster-daemon" ? 0 : 100
  deployment_maximum_percent         = each.key == "dagster-daemon" ? 100 : 200
  health_check_grace_period_seconds  = contains(keys(local.load_balanced), each.key) ? 60 : null

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.tasks_security_group_id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = contains(keys(local.load_balanced), each.key) ? [local.load_balanced[each.key]] : []
    content {
      target_group_arn = load_balancer.value
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  dynamic "service_registries" {
    for_each = each.value.discovery_name != null ? [aws_service_discovery_service.code[each.key].arn] : []
    content {
      registry_arn = service_registries.value
    }
  }

  # Terraform owns the task definitions' shape; the deploy pipelines (GitHub Actions, Jenkins) register a
  # revision with the new image and update the service, and the API's desired count belongs to autoscaling.
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
}
