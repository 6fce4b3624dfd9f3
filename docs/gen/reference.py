"""The docs site's reference pages, generated from the code so that they cannot drift from it.

`python docs/gen/reference.py` prints a JSON object {page path: markdown}. `docs/gen/gen_pages.py` (the
mkdocs-gen-files script) runs it in a subprocess with a fixed environment (no `BINANCE_ASSETS_*` from the
caller's shell, one merchant account so the merchant assets are real assets, a throw-away data folder), so
a build documents the code, not the machine it ran on.

- settings: the pydantic `Settings` classes (fields, variables, types, defaults, their comments);
- CLI: typer's own Markdown of both commands (`typer binance_assets.cli utils docs`, `typer binance_api.cli utils
  docs`), one section each;
- HTTP API: the FastAPI app's OpenAPI schema;
- assets, checks, jobs, sensors and schedules: both code locations' Dagster definitions;
- the lineage picture (mermaid) by asset group, also used on the home page and checked against README.md.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import subprocess
import sys
import tokenize
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOCATIONS = (("market_data", "binance_assets.definitions"), ("ml", "binance_assets.ml.definitions"))
# Group order in the picture: how data flows (groups the code adds later go at the end, in name order).
GROUP_ORDER = ("raw", "merchant", "staging", "intermediate", "marts", "features", "models", "predictions")
GENERATED_NOTE = "!!! note \"Generated\"\n    {what} Do not edit: `docs/gen/reference.py` writes it at build time.\n\n"


def _cell(text: object) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _first_paragraph(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0]


# --- settings ------------------------------------------------------------------------------------------


def field_comments(cls: type) -> dict[str, str]:
    """The `#` comments a class body gives each annotated field: the block right above it and the one at the
    end of its line (the settings classes document their fields this way)."""
    lines, _ = inspect.getsourcelines(cls)
    comments: dict[str, str] = {}
    pending: list[str] = []
    last_name: str | None = None
    last_line = -1
    for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
        if tok.type == tokenize.COMMENT:
            text = tok.string.lstrip("#").strip()
            if text.startswith("---") or text.startswith("nosec"):
                continue
            if last_name is not None and tok.start[0] == last_line:
                comments[last_name] = " ".join(filter(None, [comments.get(last_name, ""), text]))
            else:
                pending.append(text)
        elif tok.type == tokenize.NL and not pending:
            continue
        elif tok.type == tokenize.NL:  # a blank line ends a comment block that belongs to nothing below
            if tok.line.strip() == "":
                pending = []
        elif tok.type == tokenize.NAME and tok.start[1] == 4:  # a statement at class-body level
            last_name, last_line = tok.string, tok.start[0]
            if pending:
                comments[last_name] = " ".join(pending)
            pending = []
    return comments


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not getattr(annotation, "__args__", None) else None
    text = text or str(annotation).replace("typing.", "")
    for module in ("pathlib.", "datetime.", "binance_assets.settings.", "binance_api.settings.",
                   "pydantic.types.", "typing_extensions."):
        text = text.replace(module, "")
    return text.replace("NoneType", "None")


def _default(field: Any) -> str:
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is None:
        return "–"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "(empty)"
    if hasattr(value, "value"):
        value = value.value
    return str(value).replace(str(ROOT), "<repo>")


def settings_table(cls: type) -> str:
    prefix = cls.model_config.get("env_prefix", "")  # type: ignore[attr-defined]
    comments = field_comments(cls)
    rows = ["| variable | type | default | what |", "|---|---|---|---|"]
    for name, field in cls.model_fields.items():  # type: ignore[attr-defined]
        what = field.description or comments.get(name, "")
        if field.metadata:
            bounds = [f"{k} {getattr(m, k)}" for m in field.metadata for k in ("ge", "le", "gt", "lt")
                      if getattr(m, k, None) is not None]
            if bounds:
                what = f"{what} ({', '.join(bounds)})" if what else ", ".join(bounds)
        rows.append(f"| `{prefix}{name.upper()}` | `{_cell(_type_name(field.annotation))}` | "
                    f"`{_cell(_default(field))}` | {_cell(what)} |")
    return "\n".join(rows) + "\n"


def settings_page() -> str:
    from binance_api.dashboard.settings import DashboardSettings
    from binance_api.settings import ApiSettings
    from binance_assets import settings as core

    out = ["# Settings\n\n", GENERATED_NOTE.format(what="Built from the pydantic settings classes."),
           "Every setting is an environment variable. `<repo>` stands for the repository's folder. "
           "Comma-separated lists (`SYMBOLS`, `MERCHANT_ACCOUNTS`, `CORS_ORIGINS`) are plain strings.\n\n"]
    for title, cls in (("Platform (`binance_assets.settings.Settings`)", core.Settings),
                       ("Serving API (`binance_api.settings.ApiSettings`)", ApiSettings),
                       ("Dashboard (`binance_api.dashboard.settings.DashboardSettings`)", DashboardSettings)):
        doc = inspect.getdoc(inspect.getmodule(cls)) or ""
        out += [f"## {title}\n\n", _first_paragraph(doc), "\n\n", settings_table(cls), "\n"]
    out += ["## Secrets\n\n",
            "Not settings: each stays in its own variable and reaches Dagster as a `dg.EnvVar` reference "
            "(`binance_assets.settings.SECRET_ENV_VARS`). See [Secrets](../operations/secrets.md).\n\n"]
    out += [f"- `{name}`\n" for name in core.SECRET_ENV_VARS]
    return "".join(out)


# --- CLI -------------------------------------------------------------------------------------------------


# (module, console script): the commands setup.py installs, each a section of the page.
CLIS = (("binance_assets.cli", "binance-assets"), ("binance_api.cli", "binance-api"))


def _one_level_down(markdown: str) -> str:
    """typer's Markdown with every heading one level lower (outside code blocks), to sit under a page title."""
    out, in_code = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            line = "#" + line
        out.append(line)
    return "\n".join(out) + "\n"


def cli_section(module: str, name: str) -> str:
    docs = subprocess.run(
        [sys.executable, "-m", "typer", module, "utils", "docs", "--name", name, "--title", f"`{name}`"],
        check=True, capture_output=True, text=True, cwd=ROOT, env=os.environ.copy(),
    ).stdout
    return _one_level_down(docs)


def cli_page() -> str:
    files = " and ".join(f"`{module.replace('.', '/')}.py`" for module, _ in CLIS)
    links = ", ".join(f"[`{name}`](#{name})" for _, name in CLIS)
    out = ["# Command line\n\n", GENERATED_NOTE.format(what=f"Built by typer from {files}."),
           f"The package installs {len(CLIS)} commands (in `.venv/bin/` after `make install`): {links}.\n"]
    for module, name in CLIS:
        out += ["\n", cli_section(module, name)]
    return "".join(out)


# --- HTTP API --------------------------------------------------------------------------------------------


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    return str(schema.get("type", "any"))


def api_page() -> str:
    from binance_api.main import create_app

    spec = create_app().openapi()
    info = spec["info"]
    out = [f"# HTTP API: {info['title']} {info['version']}\n\n",
           GENERATED_NOTE.format(what="Built from the FastAPI app's OpenAPI schema (`create_app().openapi()`)."),
           info.get("description", "").strip(), "\n\n",
           "A running server serves the same schema at `/openapi.json` and an interactive page at `/docs`. "
           "How auth, limits and the cache work: [Serving API](../operations/api.md).\n\n"]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            by_tag[(op.get("tags") or ["other"])[0]].append((method.upper(), path, op))
    out += ["| method | path | what | auth |\n|---|---|---|---|\n"]
    for ops in by_tag.values():
        for method, path, op in ops:
            auth = "bearer" if op.get("security") else "none"
            out.append(f"| {method} | `{path}` | {_cell(op.get('summary', ''))} | {auth} |\n")
    for tag, ops in by_tag.items():
        out.append(f"\n## {tag}\n")
        for method, path, op in ops:
            out.append(f"\n### `{method} {path}`\n\n{_cell(op.get('summary', ''))}\n\n")
            description = (op.get("description") or "").strip()
            if description and description != op.get("summary"):
                out.append(description + "\n\n")
            params = op.get("parameters", [])
            if params:
                out.append("| parameter | in | type | required | description |\n|---|---|---|---|---|\n")
                for p in params:
                    out.append(f"| `{p['name']}` | {p['in']} | `{_cell(_schema_name(p.get('schema', {})))}` | "
                               f"{'yes' if p.get('required') else 'no'} | {_cell(p.get('description', ''))} |\n")
                out.append("\n")
            codes = ", ".join(f"`{code}`" for code in op.get("responses", {}))
            out.append(f"Responses: {codes}.\n")
    return "".join(out)


# --- Dagster definitions ---------------------------------------------------------------------------------


def _partitions(partitions_def: Any) -> str:
    if partitions_def is None:
        return "–"
    dims = getattr(partitions_def, "partitions_defs", None)
    if dims:
        return " × ".join(f"{d.name} ({_partitions(d.partitions_def)})" for d in dims)
    start = getattr(partitions_def, "start", None)
    if start is not None:
        return f"daily from {start:%Y-%m-%d}"
    keys = partitions_def.get_partition_keys()
    return ", ".join(keys[:6]) + (f", … ({len(keys)} keys)" if len(keys) > 6 else "")


def load_definitions() -> list[tuple[str, Any]]:
    import importlib

    return [(name, importlib.import_module(module).defs) for name, module in LOCATIONS]


def asset_records(locations: Iterable[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every asset of both code locations, by key (`a/b`), where it is materialized."""
    records: dict[str, dict[str, Any]] = {}
    for location, defs in locations:
        graph = defs.resolve_asset_graph()
        for key in graph.get_all_asset_keys():
            node = graph.get(key)
            name = key.to_user_string()
            if not node.is_materializable and name in records:
                continue
            checks = []
            for check_key in sorted(graph.asset_check_keys, key=lambda c: c.name):
                if check_key.asset_key == key:
                    spec = graph.get_check_spec(check_key)
                    checks.append({"name": spec.name, "blocking": spec.blocking,
                                   "description": _first_paragraph(spec.description)})
            records[name] = {
                "key": name, "location": location if node.is_materializable else f"{location} (declared only)",
                "group": node.group_name, "description": _first_paragraph(node.description),
                "partitions": _partitions(node.partitions_def),
                "deps": sorted(p.to_user_string() for p in node.parent_keys),
                "kinds": sorted(node.kinds),
                "pools": sorted(getattr(node, "pools", None) or []),
                "automation": node.automation_condition.get_label() if node.automation_condition else None,
                "materializable": node.is_materializable, "checks": checks,
            }
    return records


def group_edges(records: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    """Edges between asset groups (an asset of group A feeds one of group B, A != B)."""
    return {(records[dep]["group"], rec["group"]) for rec in records.values() for dep in rec["deps"]
            if dep in records and records[dep]["group"] != rec["group"]}


def _group_sort_key(group: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER), group)


def lineage_mermaid(records: dict[str, dict[str, Any]]) -> str:
    """The lineage by asset group, code location by code location (the README shows the same block)."""
    members: dict[str, list[str]] = defaultdict(list)
    location_of: dict[str, str] = {}
    for rec in records.values():
        members[rec["group"]].append(rec["key"].split("/")[-1])
        location_of.setdefault(rec["group"], rec["location"].split(" ")[0])
    lines = ["```mermaid", "flowchart LR"]
    for location in ("market_data", "ml"):
        lines.append(f"  subgraph {location}")
        for group in sorted((g for g in members if location_of[g] == location), key=_group_sort_key):
            names = "<br/>".join(sorted(members[group]))
            lines.append(f'    {group}["<b>{group}</b><br/>{names}"]')
        lines.append("  end")
    for a, b in sorted(group_edges(records), key=lambda e: (_group_sort_key(e[0]), _group_sort_key(e[1]))):
        lines.append(f"  {a} --> {b}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def _asset_anchor(key: str) -> str:
    return key.replace("/", "").replace("_", "")


def assets_page(records: dict[str, dict[str, Any]]) -> str:
    out = ["# Assets and checks\n\n",
           GENERATED_NOTE.format(what="Built from both code locations' Dagster definitions "
                                      "(`binance_assets.definitions`, `binance_assets.ml.definitions`), "
                                      "with one merchant account configured."),
           "The lineage by group (what each group holds, and which group feeds which):\n\n",
           lineage_mermaid(records), "\n",
           "| asset | group | code location | partitions | checks |\n|---|---|---|---|---|\n"]
    ordered = sorted(records.values(), key=lambda r: (_group_sort_key(r["group"]), r["key"]))
    for rec in ordered:
        out.append(f"| [`{rec['key']}`](#{_asset_anchor(rec['key'])}) | {rec['group']} | {rec['location']} | "
                   f"{_cell(rec['partitions'])} | {len(rec['checks'])} |\n")
    for rec in ordered:
        out.append(f"\n## `{rec['key']}` {{#{_asset_anchor(rec['key'])}}}\n\n")
        if rec["description"]:
            out.append(rec["description"] + "\n\n")
        facts = [f"group `{rec['group']}`", f"code location `{rec['location']}`", f"partitions: {rec['partitions']}"]
        if rec["kinds"]:
            facts.append("kinds: " + ", ".join(rec["kinds"]))
        if rec["pools"]:
            facts.append("pool: " + ", ".join(f"`{p}`" for p in rec["pools"]))
        if rec["automation"]:
            facts.append(f"automation condition: `{rec['automation']}`")
        out.append("".join(f"- {fact}\n" for fact in facts))
        if rec["deps"]:
            out.append("- upstream: " + ", ".join(f"[`{d}`](#{_asset_anchor(d)})" if d in records else f"`{d}`"
                                                   for d in rec["deps"]) + "\n")
        if rec["checks"]:
            out.append("\n| check | blocking | what |\n|---|---|---|\n")
            for check in rec["checks"]:
                out.append(f"| `{check['name']}` | {'yes' if check['blocking'] else 'no'} | "
                           f"{_cell(check['description'])} |\n")
    return "".join(out)


def automation_page(locations: list[tuple[str, Any]]) -> str:
    from binance_assets.lib.defaults import SCHEDULES_RUNNING_IN, SENSORS_RUNNING_IN
    from binance_assets.settings import Environment

    envs = list(Environment)
    out = ["# Jobs, sensors and schedules\n\n",
           GENERATED_NOTE.format(what="Built from both code locations' definitions and the defaults table "
                                      "`binance_assets/lib/defaults.py`."),
           "Which sensors and schedules are RUNNING when a code location first loads, per environment "
           "(`BINANCE_ASSETS_ENV`). A location fails to load if one of its sensors or schedules has no row in "
           "the defaults table or another status, so this table and the code cannot drift apart. A user can "
           "still start or stop each one in the UI (or `dagster sensor start|stop`), and Dagster keeps that "
           "choice. Intervals are those of `local` (the landing and automation sensors tick every 1 s there, "
           "5 and 30 s elsewhere).\n\n",
           "| sensor / schedule | location | interval | what it does | " + " | ".join(e.value for e in envs) + " |\n",
           "|---|---|---|---|" + "|".join(":-:" for _ in envs) + "|\n"]
    jobs = []
    for location, defs in locations:
        repo = defs.get_repository_def()
        for sensor in sorted(repo.sensor_defs, key=lambda s: s.name):
            running = SENSORS_RUNNING_IN.get(sensor.name, frozenset())
            out.append(f"| `{sensor.name}` | {location} | {sensor.minimum_interval_seconds} s | "
                       f"{_cell(_first_paragraph(sensor.description))} | "
                       + " | ".join("RUNNING" if e in running else "stopped" for e in envs) + " |\n")
        for schedule in sorted(repo.schedule_defs, key=lambda s: s.name):
            running = SCHEDULES_RUNNING_IN.get(schedule.name, frozenset())
            out.append(f"| `{schedule.name}` (schedule) | {location} | `{schedule.cron_schedule}` UTC | "
                       f"{_cell(_first_paragraph(schedule.description))} | "
                       + " | ".join("RUNNING" if e in running else "stopped" for e in envs) + " |\n")
        jobs += [(location, job) for job in repo.get_all_jobs() if not job.name.startswith("__")]
    listed = {s.name for _, d in locations for s in d.get_repository_def().sensor_defs}
    for name in sorted(set(SENSORS_RUNNING_IN) - listed):
        running = SENSORS_RUNNING_IN[name]
        out.append(f"| `{name}` | – | – | not defined with these settings (see its row in the defaults table) | "
                   + " | ".join("RUNNING" if e in running else "stopped" for e in envs) + " |\n")
    out.append("\n## Jobs\n\n| job | location | what |\n|---|---|---|\n")
    for location, job in sorted(jobs, key=lambda j: j[1].name):
        out.append(f"| `{job.name}` | {location} | {_cell(_first_paragraph(job.description))} |\n")
    return "".join(out)


def render_pages() -> dict[str, str]:
    locations = load_definitions()
    records = asset_records(locations)
    return {
        "reference/settings.md": settings_page(),
        "reference/cli.md": cli_page(),
        "reference/api.md": api_page(),
        "reference/assets.md": assets_page(records),
        "reference/automation.md": automation_page(locations),
        "_lineage.md": lineage_mermaid(records),
    }


def clean_environment(data_dir: str) -> dict[str, str]:
    """The environment the reference is built in: the caller's, less every setting, plus fixed ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINANCE_ASSETS_", "DAGSTER_HOME"))}
    env.update({
        "BINANCE_ASSETS_ENV": "local",
        "BINANCE_ASSETS_DATA_DIR": data_dir,
        "BINANCE_ASSETS_MERCHANT_ACCOUNTS": "main",  # so the merchant's assets and sensor are documented
        "PYTHONWARNINGS": "ignore",
    })
    return env


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT))
    json.dump(render_pages(), sys.stdout)
