# Roles of the tasks:
# - execution: ECS pulls the images, writes the logs and resolves the `secrets` (valueFrom) at start;
# - dagster_task: webserver, daemon, code servers and the runs EcsRunLauncher starts: exactly the calls
#   EcsRunLauncher makes (statements below) plus the data buckets;
# - minimal_task: the API and the exporter, which call no AWS API.
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.cluster_name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution_managed" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid       = "ReadTheTaskSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.secret_arns
  }
  statement {
    sid       = "DecryptThem"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "task-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_iam_role" "dagster_task" {
  name               = "${local.cluster_name}-dagster-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "minimal_task" {
  name               = "${local.cluster_name}-minimal-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

# The calls dagster-aws's EcsRunLauncher makes (dagster_aws/ecs/launcher.py, tasks.py, utils.py and
# secretsmanager/secrets.py); tests/deploy/test_terraform_iam.py checks this list against them.
data "aws_iam_policy_document" "run_launcher" {
  statement {
    sid       = "RegisterAndReadRunTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"] # neither action supports resource-level permissions
  }

  statement {
    sid       = "RunTasksInThisCluster"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.main.arn]
    }
  }

  statement {
    sid       = "WatchAndStopRunTasks"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${local.cluster_name}/*"]
  }

  statement {
    sid     = "TagRunTasksAtLaunch"
    actions = ["ecs:TagResource"]
    resources = [
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${local.cluster_name}/*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/*",
    ]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask", "RegisterTaskDefinition"]
    }
  }

  statement {
    sid       = "ReadTheLaunchingTaskNetwork"
    actions   = ["ec2:DescribeNetworkInterfaces"]
    resources = ["*"] # Describe* calls support no resource-level permissions
  }

  statement {
    sid       = "FindTaggedSecrets"
    actions   = ["secretsmanager:ListSecrets"]
    resources = ["*"] # ListSecrets supports no resource-level permissions
  }

  statement {
    sid       = "NameTheConfiguredSecrets"
    actions   = ["secretsmanager:DescribeSecret"]
    resources = var.secret_arns
  }

  statement {
    sid       = "ReadFailedRunLogs"
    actions   = ["logs:GetLogEvents"]
    resources = [for name in values(var.log_group_names) : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}:log-stream:*"]
  }

  statement {
    sid       = "PassTheRunTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.dagster_task.arn, aws_iam_role.execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "run_launcher" {
  name   = "ecs-run-launcher"
  role   = aws_iam_role.dagster_task.id
  policy = data.aws_iam_policy_document.run_launcher.json
}

# Landing archives, the model registry and compute logs.
data "aws_iam_policy_document" "data_buckets" {
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = var.data_bucket_arns
  }
  statement {
    sid       = "ReadWriteObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for arn in var.data_bucket_arns : "${arn}/*"]
  }
  statement {
    sid       = "UseTheBucketKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "data_buckets" {
  name   = "data-buckets"
  role   = aws_iam_role.dagster_task.id
  policy = data.aws_iam_policy_document.data_buckets.json
}
