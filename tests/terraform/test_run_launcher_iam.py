"""The Dagster task role grants exactly the IAM actions EcsRunLauncher needs, and may pass the task and
execution roles to the run tasks it starts.

RUN_LAUNCHER_ACTIONS is the one list. Where it comes from:
- Dagster documents the ECS task role's permissions (docs/docs/deployment/dagster-plus/hybrid/amazon-ecs/
  manual-provision.md in dagster-io/dagster, "Task IAM role ... include the permissions required to describe
  and launch ECS tasks"), quoted in DOCUMENTED_TASK_ROLE_ACTIONS. That list is the Dagster+ agent's: it
  also creates ECS and Cloud Map services for code servers, which the OSS run launcher never does.
- The OSS launcher's own calls, read from the installed dagster-aws (launcher.py, tasks.py, utils.py,
  secretsmanager/secrets.py): test_the_list_is_what_the_installed_launcher_calls re-derives them, so a
  dagster-aws upgrade that makes a new call fails here. 0.29 no longer calls ecs:ListAccountSettings
  (older releases checked taskLongArnFormat) and never reads a secret's value (ECS resolves `valueFrom`
  with the execution role); it only lists tagged secrets and describes configured ones.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster_aws
from support.terraform import TERRAFORM_DIR, expr, keyed, load, unquote

RUN_LAUNCHER_ACTIONS = frozenset(
    {
        "ecs:DescribeTaskDefinition",  # inherit the launching task's definition; reuse a run definition
        "ecs:RegisterTaskDefinition",  # a run task definition per code location image
        "ecs:RunTask",
        "ecs:DescribeTasks",  # run monitoring, the launching task's own metadata
        "ecs:StopTask",  # terminate
        "ecs:TagResource",  # RunTask with tags (dagster/run_id ...) needs it
        "ec2:DescribeNetworkInterfaces",  # subnets / security groups / public IP of the launching task
        "secretsmanager:ListSecrets",  # secrets tagged `dagster` (secrets_tag default)
        "secretsmanager:DescribeSecret",  # names of the secrets configured by ARN
        "logs:GetLogEvents",  # the failed run task's last log lines
        "iam:PassRole",  # the run task's task role and execution role
    }
)

DOCUMENTED_TASK_ROLE_ACTIONS = frozenset(
    {
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeRouteTables",
        "ecs:CreateService",
        "ecs:DeleteService",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:DescribeTasks",
        "ecs:ListAccountSettings",
        "ecs:ListServices",
        "ecs:ListTagsForResource",
        "ecs:ListTasks",
        "ecs:RegisterTaskDefinition",
        "ecs:RunTask",
        "ecs:StopTask",
        "ecs:TagResource",
        "ecs:UpdateService",
        "iam:PassRole",
        "logs:GetLogEvents",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecrets",
        "servicediscovery:CreateService",
        "servicediscovery:DeleteService",
        "servicediscovery:ListServices",
        "servicediscovery:GetNamespace",
        "servicediscovery:ListTagsForResource",
        "servicediscovery:TagResource",
    }
)

ECS = TERRAFORM_DIR / "modules" / "ecs"
CLIENTS = {"ecs": "ecs", "logs": "logs", "logs_client": "logs", "secrets_manager": "secretsmanager"}
CALL = re.compile(r"\b(?:self\.)?(ecs|logs|logs_client|secrets_manager)\.([a-z_]+)\(")


def _statements(policy: str) -> list[dict]:
    return load(ECS).data("aws_iam_policy_document")[policy]["statement"]


def _actions(policy: str) -> set[str]:
    return {str(unquote(a)) for s in _statements(policy) for a in s["actions"]}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def launcher_calls() -> set[str]:
    root = Path(dagster_aws.__file__).parent
    actions: set[str] = {"iam:PassRole"}  # implied: the registered definitions and RunTask name both roles
    for relative in ("ecs/launcher.py", "ecs/tasks.py", "ecs/utils.py", "secretsmanager/secrets.py"):
        source = (root / relative).read_text()
        for client, method in CALL.findall(source):
            if method == "get_paginator":
                continue
            actions.add(f"{CLIENTS[client]}:{_camel(method)}")
        actions.update(f"secretsmanager:{_camel(op)}" for op in re.findall(r'get_paginator\("([a-z_]+)"\)', source))
        if "ec2.NetworkInterface(" in source:
            actions.add("ec2:DescribeNetworkInterfaces")
        if 'run_task_kwargs["tags"]' in source:
            actions.add("ecs:TagResource")
    return actions


def test_the_task_role_grants_exactly_the_run_launcher_actions():
    assert _actions("run_launcher") == RUN_LAUNCHER_ACTIONS


def test_the_list_is_what_the_installed_launcher_calls():
    assert launcher_calls() == RUN_LAUNCHER_ACTIONS


def test_the_list_is_within_what_dagster_documents():
    assert RUN_LAUNCHER_ACTIONS <= DOCUMENTED_TASK_ROLE_ACTIONS


def test_pass_role_covers_the_task_and_execution_roles_for_ecs_only():
    (statement,) = [s for s in _statements("run_launcher") if [unquote(a) for a in s["actions"]] == ["iam:PassRole"]]
    resources = {expr(r) for r in statement["resources"]}
    assert resources == {"aws_iam_role.dagster_task.arn", "aws_iam_role.execution.arn"}
    (condition,) = statement["condition"]
    assert unquote(condition["variable"]) == "iam:PassedToService"
    assert [unquote(v) for v in condition["values"]] == ["ecs-tasks.amazonaws.com"]


def test_run_task_is_limited_to_this_cluster():
    (statement,) = [s for s in _statements("run_launcher") if [unquote(a) for a in s["actions"]] == ["ecs:RunTask"]]
    (condition,) = statement["condition"]
    assert unquote(condition["variable"]) == "ecs:cluster"
    assert [expr(v) for v in condition["values"]] == ["aws_ecs_cluster.main.arn"]


def test_the_policy_is_on_the_role_of_the_tasks_that_launch_runs():
    ecs = load(ECS)
    attachment = ecs.resources("aws_iam_role_policy")["run_launcher"]
    assert expr(attachment["role"]) == "aws_iam_role.dagster_task.id"
    assert expr(attachment["policy"]) == "data.aws_iam_policy_document.run_launcher.json"
    task_definition = ecs.resources("aws_ecs_task_definition")["main"]
    assert expr(task_definition["task_role_arn"]).startswith("each.value.launches_runs ? aws_iam_role.dagster_task.arn")
    assert expr(task_definition["execution_role_arn"]) == "aws_iam_role.execution.arn"
    launching = {name for name, svc in keyed(ecs.locals["services"]).items() if svc["launches_runs"] is True}
    assert {"dagster-webserver", "dagster-daemon"} <= launching
    assert "api" not in launching and "dagster-exporter" not in launching


def test_the_execution_role_resolves_the_task_secrets():
    assert _actions("execution_secrets") == {"secretsmanager:GetSecretValue", "kms:Decrypt"}
    (read,) = [s for s in _statements("execution_secrets") if unquote(s["sid"]) == "ReadTheTaskSecrets"]
    assert expr(read["resources"]) == "var.secret_arns"
