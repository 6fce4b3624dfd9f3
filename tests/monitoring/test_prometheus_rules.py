"""promtool on the committed Prometheus config: `check config`, `check rules`, `test rules`, and every
alert covered by at least one firing and one silent case in the rule tests; the dashboards are well formed."""

from __future__ import annotations

import json
import subprocess

import yaml
from support.prometheus import DASHBOARDS_DIR, PROMETHEUS_DIR, tool

RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS_DIR / "tests").glob("*_test.yml"))


def promtool(*args: str) -> str:
    done = subprocess.run([tool("promtool"), *args], capture_output=True, text=True, cwd=PROMETHEUS_DIR / "tests",
                          timeout=60)
    assert done.returncode == 0, f"promtool {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def alert_names() -> set[str]:
    return {rule["alert"] for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule}


def test_config_and_rules_are_valid():
    assert len(RULE_FILES) == 3 and len(TEST_FILES) == 4
    promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    promtool("check", "rules", *map(str, RULE_FILES))


def test_rule_unit_tests_pass():
    out = promtool("test", "rules", *map(str, TEST_FILES))
    assert out.count("SUCCESS") == len(TEST_FILES), out


def test_every_alert_has_a_firing_and_a_silent_case():
    firing, silent = set(), set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    alerts = alert_names()
    assert {"ApiLatencyP95High", "ApiHigh5xxRate", "PipelineRunFailureRateHigh", "AssetFreshnessLag",
            "ModelAccuracyBelowBaseline", "FeatureDrift"} <= alerts
    assert alerts - firing == set(), "alerts without a firing case"
    assert alerts - silent == set(), "alerts without a silent case"


def test_dashboards_query_prometheus_in_every_panel():
    boards = {p.stem: json.loads(p.read_text()) for p in sorted(DASHBOARDS_DIR.glob("*.json"))}
    assert set(boards) == {"api", "pipeline", "data-freshness", "models"}
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    for name, board in boards.items():
        assert board["panels"], name
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "prometheus", (name, panel["title"])
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), (name, panel["title"])
