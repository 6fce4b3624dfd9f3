# The Dagster webserver behind an internal ALB: Dagster OSS has no login, so the UI is reachable only
# from the VPC and the admin networks (VPN), over HTTPS. Health check: /server_info.
resource "aws_lb" "webserver" {
  #checkov:skip=CKV2_AWS_28:Internal load balancer, reachable only from the VPC and admin CIDRs; WAF protects the internet-facing API ALB
  name                       = substr("bmp-${var.environment}-dagster", 0, 32)
  load_balancer_type         = "application"
  internal                   = true
  subnets                    = var.subnet_ids
  security_groups            = [var.security_group_id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "alb/dagster"
    enabled = true
  }
}

resource "aws_lb_target_group" "webserver" {
  #checkov:skip=CKV_AWS_378:TLS ends at the internal ALB; the hop to the task stays in private subnets behind a security group that admits only the ALB
  name                 = substr("bmp-${var.environment}-dagster", 0, 32)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/server_info"
    matcher             = "200"
    interval            = 30
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.webserver.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.webserver.arn
  }
}
