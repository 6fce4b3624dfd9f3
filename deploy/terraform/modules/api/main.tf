# The API behind an internet-facing ALB: HTTPS (ACM certificate), HTTP redirected to HTTPS, health check
# /health/ready, target tracking on CPU and on requests per target, optional WAF.
locals {
  name = "${var.project}-${var.environment}-api"
}

resource "aws_lb" "api" {
  #checkov:skip=CKV2_AWS_28:WAF is attached by aws_wafv2_web_acl_association.api when enable_waf is true (the default in every env)
  #checkov:skip=CKV2_AWS_76:waf.tf has AWSManagedRulesKnownBadInputsRuleSet (Log4j; asserted by tests/deploy/test_terraform_wiring.py); checkov passes the envs/* calls but cannot resolve the counted ACL when it scans this module alone
  name                       = substr("bmp-${var.environment}-api", 0, 32)
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [var.security_group_id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "alb/api"
    enabled = true
  }
}

resource "aws_lb_target_group" "api" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; the hop to the task stays in private subnets behind a security group that admits only the ALB
  name                 = substr("bmp-${var.environment}-api", 0, 32)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/health/ready"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.api.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.api.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
