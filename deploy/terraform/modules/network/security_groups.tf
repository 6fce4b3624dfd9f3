# Every security group of the environment, so that the modules that use them never depend on each other.

resource "aws_security_group" "public_alb" {
  #checkov:skip=CKV2_AWS_5:Attached to the API ALB (modules/api) through this module's output; checkov does not follow module outputs
  name        = "${local.name}-public-alb"
  description = "Internet-facing ALB of the API"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "public_alb_https" {
  security_group_id = aws_security_group.public_alb.id
  description       = "HTTPS from the internet"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "public_alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 only answers a 301 redirect to HTTPS (listener in modules/api); nothing is served over HTTP
  security_group_id = aws_security_group.public_alb.id
  description       = "HTTP from the internet, redirected to HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "public_alb_to_api" {
  security_group_id            = aws_security_group.public_alb.id
  description                  = "To the API tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
}

resource "aws_security_group" "internal_alb" {
  #checkov:skip=CKV2_AWS_5:Attached to the webserver ALB (modules/webserver_lb) through this module's output; checkov does not follow module outputs
  name        = "${local.name}-internal-alb"
  description = "Internal ALB of the Dagster webserver (VPC and admin networks only)"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "internal_alb" {
  for_each          = toset(concat([var.vpc_cidr], var.admin_cidrs))
  security_group_id = aws_security_group.internal_alb.id
  description       = "HTTPS from ${each.value}"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "internal_alb_to_webserver" {
  security_group_id            = aws_security_group.internal_alb.id
  description                  = "To the Dagster webserver tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.webserver_port
  to_port                      = var.webserver_port
}

resource "aws_security_group" "tasks" {
  #checkov:skip=CKV2_AWS_5:Attached to every ECS service (modules/ecs) through this module's output; checkov does not follow module outputs
  name        = "${local.name}-tasks"
  description = "ECS tasks: Dagster webserver, daemon, code servers, runs, API, exporter"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_public_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "API from the public ALB"
  referenced_security_group_id = aws_security_group.public_alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_internal_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Dagster webserver from the internal ALB"
  referenced_security_group_id = aws_security_group.internal_alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.webserver_port
  to_port                      = var.webserver_port
}

resource "aws_vpc_security_group_ingress_rule" "tasks_internal" {
  for_each                     = toset([for p in var.internal_task_ports : tostring(p)])
  security_group_id            = aws_security_group.tasks.id
  description                  = "Task to task on ${each.value} (gRPC code servers, webserver, metrics)"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  #checkov:skip=CKV_AWS_382:Tasks reach Binance's public archive and REST API (data.binance.vision, api.binance.com) and Cognito's JWKS over HTTPS through the NAT; their addresses are not fixed
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS out (Binance, Cognito JWKS, AWS APIs)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "tasks_internal" {
  for_each                     = toset([for p in var.internal_task_ports : tostring(p)])
  security_group_id            = aws_security_group.tasks.id
  description                  = "Task to task on ${each.value}"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_database" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "PostgreSQL"
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_cache" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Redis"
  referenced_security_group_id = aws_security_group.cache.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:Attached to RDS (modules/database) through this module's output; checkov does not follow module outputs
  name        = "${local.name}-database"
  description = "RDS PostgreSQL: from the ECS tasks only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the ECS tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_security_group" "cache" {
  #checkov:skip=CKV2_AWS_5:Attached to ElastiCache (modules/cache) through this module's output; checkov does not follow module outputs
  name        = "${local.name}-cache"
  description = "ElastiCache Redis: from the ECS tasks only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "cache_from_tasks" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis (TLS) from the ECS tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_security_group" "endpoints" {
  name        = "${local.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS from the VPC"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
