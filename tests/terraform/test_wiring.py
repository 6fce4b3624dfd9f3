"""deploy/terraform without a terraform binary: every file parses (python-hcl2), module calls pass exactly
the variables their modules declare (all the required ones), every module.X.Y / var.X / local.X reference
resolves, each env is one call of modules/platform with the same arguments (its terraform.tfvars inputs
passed through by name, its sizing), `moved` blocks carry the modules each env called before into the
platform call, and each env has the outputs the pipelines read."""

from __future__ import annotations

import re

import pytest
from support.terraform import (
    ENVS,
    MODULE_META_ARGS,
    MODULE_REF,
    PLATFORM_DIR,
    TERRAFORM_DIR,
    config_dirs,
    expr,
    keyed,
    labelled,
    load,
    parse_file,
    strings,
    tf_files,
    unquote,
)

# Contract (issue 13): `terraform output -raw NAME` in deploy.yml and the Jenkinsfile.
CONTRACT_OUTPUTS = {
    "ecr_repository_urls",
    "ecs_cluster_name",
    "api_url",
    "dagster_webserver_url",
    "landing_bucket",
    "models_bucket",
    "compute_logs_bucket",
    "cognito_user_pool_id",
    "cognito_app_client_id",
    "cognito_jwks_url",
    "github_deploy_role_arn",
    "data_quality_role_arn",
}
# What modules/platform calls; each env called these itself before the platform module (so each env moves them).
PLATFORM_MODULES = {
    "kms",
    "network",
    "ecr",
    "storage",
    "database",
    "cache",
    "secrets",
    "cognito",
    "monitoring",
    "api",
    "webserver_lb",
    "ecs",
    "github_oidc",
}
# An env root's own variables: the provider's (providers.tf). Every other one is an input of the platform.
PROVIDER_VARIABLES = {"region", "aws_account_id"}
CONTRACT_SERVICES = {"dagster-webserver", "dagster-daemon", "code-market-data", "code-ml", "api", "dagster-exporter"}
VAR_REF = re.compile(r"\bvar\.([A-Za-z0-9_-]+)")
LOCAL_REF = re.compile(r"\blocal\.([A-Za-z0-9_-]+)")
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")

CALLERS = [d for d in config_dirs() if load(d).module_calls]


def test_the_layout_is_there():
    assert {p.name for p in (TERRAFORM_DIR / "envs").iterdir()} == set(ENVS)
    assert len(tf_files()) > 50
    assert len(CALLERS) >= 5  # the three envs, the platform module and the storage module
    assert PLATFORM_DIR in CALLERS


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM_DIR)))
def test_every_file_parses(path):
    assert isinstance(parse_file(path), dict)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda p: str(p.relative_to(TERRAFORM_DIR)))
def test_module_calls_pass_exactly_what_the_modules_declare(caller):
    config = load(caller)
    problems = []
    for name, call in config.module_calls.items():
        target = config.module_dir(name)
        assert target.is_dir(), f"module {name}: no directory {target}"
        module = load(target)
        passed = set(call) - MODULE_META_ARGS
        if missing := module.required_variables - passed:
            problems.append(f"module {name} misses required {sorted(missing)}")
        if unknown := passed - set(module.variables):
            problems.append(f"module {name} passes undeclared {sorted(unknown)}")
    assert not problems, problems


@pytest.mark.parametrize("directory", config_dirs(), ids=lambda p: str(p.relative_to(TERRAFORM_DIR)))
def test_references_resolve(directory):
    config = load(directory)
    # `moved` blocks name addresses, not values (test_every_env_moves_the_modules_it_called_before checks them).
    text = list(strings({kind: blocks for kind, blocks in config.blocks.items() if kind != "moved"}))
    calls = config.module_calls
    problems = []
    for ref_module, ref_output in {m.groups() for s in text for m in MODULE_REF.finditer(s)}:
        if ref_module not in calls:
            problems.append(f"module.{ref_module} is not called here")
        elif ref_output not in load(config.module_dir(ref_module)).outputs:
            problems.append(f"module.{ref_module}.{ref_output}: the module has no such output")
    problems += [f"var.{v} undeclared" for s in text for v in VAR_REF.findall(s) if v not in config.variables]
    problems += [f"local.{v} undeclared" for s in text for v in LOCAL_REF.findall(s) if v not in config.locals]
    assert not problems, sorted(set(problems))


def _refs(directory) -> set[tuple[str, str]]:
    return {m.groups() for s in strings(load(directory).blocks) for m in MODULE_REF.finditer(s)}


def test_a_wrong_reference_is_caught():
    """The reference check is not vacuous: the platform wires module outputs, the envs read the platform's."""
    refs = _refs(PLATFORM_DIR)
    assert ("ecs", "cluster_name") in refs and len(refs) > 20
    assert {("platform", name) for name in CONTRACT_OUTPUTS} <= _refs(TERRAFORM_DIR / "envs" / "dev")


def _platform_call(env: str) -> dict:
    return load(TERRAFORM_DIR / "envs" / env).module_calls["platform"]


def test_the_platform_calls_every_module():
    platform = load(PLATFORM_DIR)
    assert set(platform.module_calls) == PLATFORM_MODULES
    for name in PLATFORM_MODULES:
        assert platform.module_dir(name) == (TERRAFORM_DIR / "modules" / name).resolve(), name
    assert expr(platform.locals["project"]) == "binance-merchant-platform"


def test_every_env_is_one_call_of_the_platform_with_the_same_arguments():
    shapes = {}
    for env in ENVS:
        config = load(TERRAFORM_DIR / "envs" / env)
        assert set(config.module_calls) == {"platform"}, env
        assert config.module_dir("platform") == PLATFORM_DIR.resolve()
        # A thin root: no resources, data sources or locals of its own (they belong in the platform).
        assert not (config.all("resource") or config.all("data") or config.all("locals")), env
        shapes[env] = frozenset(_platform_call(env))
    assert shapes["dev"] == shapes["staging"] == shapes["prod"]


@pytest.mark.parametrize("env", ENVS)
def test_env_passes_its_tfvars_inputs_through_to_the_platform(env):
    """Every terraform.tfvars input that is not the provider's goes to the platform under its own name, typed
    as there; an optional one defaults to null here, so the platform's default (nullable = false) applies."""
    config, platform = load(TERRAFORM_DIR / "envs" / env), load(PLATFORM_DIR)
    call = _platform_call(env)
    assert PROVIDER_VARIABLES <= set(config.variables)
    inputs = set(config.variables) - PROVIDER_VARIABLES
    assert inputs and inputs <= set(platform.variables)
    for name in sorted(inputs):
        ours, theirs = config.variables[name], platform.variables[name]
        assert expr(call[name]) == f"var.{name}", name
        assert ours["type"] == theirs["type"], name
        if "default" in theirs:
            assert ours.get("default", "missing") is None, f"{name}: optional in the platform, so null here"
            assert theirs.get("nullable") is False or theirs["default"] is None, f"{name}: null must mean the default"
        else:
            assert "default" not in ours, f"{name}: required in the platform, so required here"
    # What else the env passes is literal sizing, not references.
    for name in set(call) - MODULE_META_ARGS - inputs:
        assert not any(ref in s for s in strings(call[name]) for ref in ("var.", "local.", "module.")), name


@pytest.mark.parametrize("env", ENVS)
def test_every_env_moves_the_modules_it_called_before(env):
    """`moved` blocks keep an existing state: each module once called at the env's root now lives at
    module.platform.module.<name>; without the move Terraform would destroy and recreate all of it."""
    moved = [(expr(block["from"]), expr(block["to"])) for block in load(TERRAFORM_DIR / "envs" / env).all("moved")]
    assert len(moved) == len(set(moved))
    assert dict(moved) == {f"module.{name}": f"module.platform.module.{name}" for name in PLATFORM_MODULES}
    assert PLATFORM_MODULES <= set(load(PLATFORM_DIR).module_calls)  # every target is a call of the platform


@pytest.mark.parametrize("env", ENVS)
def test_env_has_the_contract_outputs_backend_and_pins(env):
    config = load(TERRAFORM_DIR / "envs" / env)
    assert CONTRACT_OUTPUTS <= set(load(PLATFORM_DIR).outputs)
    # Each contract name is an output of its own here (`terraform output -raw NAME`), the platform's of that name.
    assert CONTRACT_OUTPUTS <= set(config.outputs)
    assert {name: expr(body["value"]) for name, body in config.outputs.items()} == {
        name: f"module.platform.{name}" for name in config.outputs
    }
    (terraform,) = config.all("terraform")
    (backend,) = [dict(b) for b in terraform["backend"]]
    s3 = {k: unquote(v) for k, v in backend['"s3"'].items()}
    assert s3["bucket"] == f"binance-merchant-platform-{env}-tfstate"
    assert s3["dynamodb_table"] == f"binance-merchant-platform-{env}-tflock"
    assert s3["encrypt"] is True and s3["key"] == f"envs/{env}/terraform.tfstate"
    assert s3["kms_key_id"] == f"alias/binance-merchant-platform-{env}-tfstate"
    providers = terraform["required_providers"][0]
    assert unquote(providers["aws"]["source"]) == "hashicorp/aws"
    assert unquote(providers["aws"]["version"]).startswith("~> 6.")
    assert unquote(_platform_call(env)["environment"]) == env
    (provider,) = [body for name, body in labelled(config.all("provider")) if name == "aws"]
    assert [expr(a) for a in provider["allowed_account_ids"]] == ["var.aws_account_id"]
    assert unquote(provider["default_tags"][0]["tags"]["Environment"]) == env


def test_bootstrap_makes_what_the_backends_name():
    bootstrap = load(TERRAFORM_DIR / "bootstrap")
    assert expr(bootstrap.locals["name"]) == "binance-merchant-platform-${var.environment}"
    assert expr(bootstrap.resources("aws_s3_bucket")["state"]["bucket"]) == "${local.name}-tfstate"
    table = bootstrap.resources("aws_dynamodb_table")["lock"]
    assert expr(table["name"]) == "${local.name}-tflock" and unquote(table["hash_key"]) == "LockID"
    assert expr(bootstrap.resources("aws_kms_alias")["state"]["name"]) == "alias/${local.name}-tfstate"


def test_prod_is_multi_az_and_larger():
    dev, prod = (_platform_call(e) for e in ("dev", "prod"))
    assert prod["db_multi_az"] is True and dev["db_multi_az"] is False
    assert prod["single_nat_gateway"] is False and len(prod["availability_zones"]) >= 3
    assert prod["cache_nodes"] >= 2 and prod["api_min_tasks"] >= 2
    dev_sizes, prod_sizes = keyed(dev["service_sizes"]), keyed(prod["service_sizes"])
    assert set(dev_sizes) == set(prod_sizes) == CONTRACT_SERVICES
    assert all(prod_sizes[s][r] >= dev_sizes[s][r] for s in CONTRACT_SERVICES for r in ("cpu", "memory"))
    assert sum(prod_sizes[s]["cpu"] for s in CONTRACT_SERVICES) > sum(dev_sizes[s]["cpu"] for s in CONTRACT_SERVICES)


def test_ecs_services_and_discovery_follow_the_contract():
    ecs = load(TERRAFORM_DIR / "modules" / "ecs")
    services = keyed(ecs.locals["services"])
    assert set(services) == CONTRACT_SERVICES
    discovery = {name: unquote(svc["discovery_name"]) for name, svc in services.items()}
    assert discovery["code-market-data"] == "market-data" and discovery["code-ml"] == "ml"
    assert {services[s]["port"] for s in ("code-market-data", "code-ml")} == {4000}
    namespace = ecs.resources("aws_service_discovery_private_dns_namespace")["main"]
    assert expr(namespace["name"]) == "${var.environment}.bmp.internal"
    assert expr(ecs.resources("aws_ecs_cluster")["main"]["setting"][0]["value"]) == "enabled"
    assert expr(ecs.locals["cluster_name"]) == "${var.project}-${var.environment}"


def test_task_secrets_are_references_only():
    """Containers get secrets only as Secrets Manager ARNs (valueFrom), never a value in `environment`."""
    ecs = load(TERRAFORM_DIR / "modules" / "ecs")
    for group in ("dagster_secrets", "api_secrets"):
        for name, value in ecs.locals[group].items():
            assert "secret_arn" in expr(value) or "pg_password_from" in expr(value), (group, name)
    common = expr(ecs.locals["common_environment"])  # merge({...}, var.extra_environment): text
    assert "BINANCE_ASSETS_POSTGRES_URL" in common and not re.search(r"PASSWORD|TOKEN|WEBHOOK|REDIS", common)
    plain = {**ecs.locals["dagster_environment"], **ecs.locals["api_environment"]}
    sensitive = {n: v for n, v in plain.items() if any(w in n for w in ("PASSWORD", "TOKEN", "WEBHOOK", "REDIS"))}
    # Only ARNs of secrets may sit in the plain environment (prod.yaml gives them to the run tasks as valueFrom).
    assert set(sensitive) == {"DAGSTER_PG_PASSWORD_SECRET_ARN", "DAGSTER_ALERT_WEBHOOK_SECRET_ARN"}
    assert {expr(v) for v in sensitive.values()} == {"local.pg_password_from", "var.alert_webhook_secret_arn"}
    definition = expr(ecs.resources("aws_ecs_task_definition")["main"]["container_definitions"])
    assert "valueFrom = v" in definition


def test_database_and_cache_settings():
    db = load(TERRAFORM_DIR / "modules" / "database").resources("aws_db_instance")["main"]
    for flag in (
        "manage_master_user_password",
        "storage_encrypted",
        "iam_database_authentication_enabled",
        "performance_insights_enabled",
    ):
        assert db[flag] is True, flag
    assert expr(db["deletion_protection"]) == "var.deletion_protection"
    assert expr(db["performance_insights_kms_key_id"]) == "var.kms_key_arn"
    assert "password" not in db
    cache = load(TERRAFORM_DIR / "modules" / "cache").resources("aws_elasticache_replication_group")["main"]
    assert cache["transit_encryption_enabled"] is True and cache["at_rest_encryption_enabled"] is True
    assert "aws_secretsmanager_secret_version.auth_token" in expr(cache["auth_token"])


def test_api_load_balancer():
    api = load(TERRAFORM_DIR / "modules" / "api")
    health = api.resources("aws_lb_target_group")["api"]["health_check"][0]
    assert unquote(health["path"]) == "/health/ready"
    listeners = api.resources("aws_lb_listener")
    assert unquote(listeners["https"]["protocol"]) == "HTTPS" and "var.certificate_arn" in expr(
        listeners["https"]["certificate_arn"]
    )
    redirect = listeners["http_redirect"]["default_action"][0]["redirect"][0]
    assert unquote(redirect["protocol"]) == "HTTPS"
    metrics = {
        unquote(
            p["target_tracking_scaling_policy_configuration"][0]["predefined_metric_specification"][0][
                "predefined_metric_type"
            ]
        )
        for p in api.resources("aws_appautoscaling_policy").values()
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    # The reason given for the CKV2_AWS_76 skip: the web ACL has the Log4j managed rules.
    rules = {unquote(r["name"]) for r in api.resources("aws_wafv2_web_acl")["api"]["rule"]}
    assert "AWSManagedRulesKnownBadInputsRuleSet" in rules


def test_github_roles_trust_only_this_repository_and_environment():
    oidc = load(TERRAFORM_DIR / "modules" / "github_oidc")
    (statement,) = oidc.data("aws_iam_policy_document")["trust"]["statement"]
    conditions = {expr(c["variable"]): [expr(v) for v in c["values"]] for c in statement["condition"]}
    assert conditions["${local.oidc_host}:sub"] == ["repo:${var.github_repository}:environment:${var.environment}"]
    assert conditions["${local.oidc_host}:aud"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM_DIR)))
def test_every_checkov_skip_says_why(path):
    for line in path.read_text().splitlines():
        if match := SKIP.search(line):
            check, reason = match.groups()
            assert re.fullmatch(r"CKV2?_AWS_\d+", check), line
            assert reason and len(reason.split()) >= 5, f"{path.name}: {check} has no reason"
