# data-quality.yml: runs `binance-assets check` as a one-off task of the market_data code location's task
# definition inside the VPC (the warehouse is not reachable from GitHub), waits for it and reads its log.
resource "aws_iam_role" "data_quality" {
  name                 = "${local.name}-github-data-quality"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "data_quality" {
  statement {
    sid       = "RunTheCheckTask"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${var.check_task_family}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.ecs_cluster_arn]
    }
  }
  statement {
    sid       = "WatchIt"
    actions   = ["ecs:DescribeTasks"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${var.ecs_cluster_name}/*"]
  }
  statement {
    sid       = "FindTheNetwork"
    actions   = ["ecs:DescribeServices"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/${var.ecs_cluster_name}/*"]
  }
  statement {
    sid       = "ReadItsLog"
    actions   = ["logs:GetLogEvents", "logs:FilterLogEvents"]
    resources = [for arn in var.log_group_arns : "${arn}:*"]
  }
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = var.ecs_task_role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "data_quality" {
  name   = "data-quality"
  role   = aws_iam_role.data_quality.id
  policy = data.aws_iam_policy_document.data_quality.json
}

resource "aws_iam_role_policy" "data_quality_state" {
  name   = "read-terraform-state"
  role   = aws_iam_role.data_quality.id
  policy = data.aws_iam_policy_document.read_state.json
}
