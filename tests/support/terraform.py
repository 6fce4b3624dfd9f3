"""deploy/terraform read with python-hcl2: every .tf file of a directory merged into one configuration.

python-hcl2 (8.x) keeps the quotes of string literals (`'"eu-west-1"'`) and wraps expressions in `${...}`;
`unquote` and `expr` undo that. Block labels are the quoted keys of one-entry dicts. Comments are left out
(no `__comments__` keys: a block's keys are its arguments, and no comment reads as a reference).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import hcl2

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "deploy" / "terraform"
ENVS = ("dev", "staging", "prod")
# The composition module each env calls once (envs/<env>/main.tf: `module "platform"`).
PLATFORM_DIR = TERRAFORM_DIR / "modules" / "platform"
# Arguments of a module block that are Terraform's, not the module's variables.
MODULE_META_ARGS = frozenset({"source", "version", "providers", "count", "for_each", "depends_on", "__is_block__"})
MODULE_REF = re.compile(r"\bmodule\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")


def unquote(value: object) -> object:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def keyed(mapping: dict) -> dict:
    """A parsed HCL map with its quoted keys (`"dagster-webserver" = ...`) unquoted."""
    return {str(unquote(k)): v for k, v in mapping.items() if k != "__is_block__"}


def expr(value: object) -> str:
    """A value as text: a quoted string template as written inside its quotes, a bare expression without
    python-hcl2's ${...} wrapper."""
    text = str(value)
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text


def labelled(blocks: list[dict]) -> Iterator[tuple[str, dict]]:
    """(label, body) of `variable "x" {}`-style blocks."""
    for block in blocks:
        for label, body in block.items():
            yield str(unquote(label)), body


def labelled2(blocks: list[dict]) -> Iterator[tuple[str, str, dict]]:
    """(type, name, body) of `resource "t" "n" {}`-style blocks."""
    for block in blocks:
        for kind, named in block.items():
            for name, body in named.items():
                yield str(unquote(kind)), str(unquote(name)), body


def strings(value: object) -> Iterator[str]:
    """Every string anywhere inside a parsed value (dict keys too: they can hold expressions)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@cache
def parse_file(path: Path) -> dict:
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=hcl2.SerializationOptions(with_comments=False))


@dataclass
class Config:
    """One Terraform directory (a root config or a module)."""

    path: Path
    blocks: dict[str, list] = field(default_factory=dict)

    def all(self, kind: str) -> list:
        return self.blocks.get(kind, [])

    @property
    def variables(self) -> dict[str, dict]:
        return dict(labelled(self.all("variable")))

    @property
    def required_variables(self) -> set[str]:
        return {name for name, body in self.variables.items() if "default" not in body}

    @property
    def outputs(self) -> dict[str, dict]:
        return dict(labelled(self.all("output")))

    @property
    def locals(self) -> dict[str, object]:
        merged: dict[str, object] = {}
        for block in self.all("locals"):
            merged.update({k: v for k, v in block.items() if k != "__is_block__"})
        return merged

    @property
    def module_calls(self) -> dict[str, dict]:
        return dict(labelled(self.all("module")))

    def resources(self, kind: str) -> dict[str, dict]:
        return {name: body for k, name, body in labelled2(self.all("resource")) if k == kind}

    def data(self, kind: str) -> dict[str, dict]:
        return {name: body for k, name, body in labelled2(self.all("data")) if k == kind}

    def module_dir(self, call: str) -> Path:
        return (self.path / str(unquote(self.module_calls[call]["source"]))).resolve()


def tf_files(directory: Path = TERRAFORM_DIR) -> list[Path]:
    return sorted(p for p in directory.rglob("*.tf") if ".terraform" not in p.parts)


@cache
def load(directory: Path) -> Config:
    config = Config(directory.resolve())
    for path in sorted(directory.glob("*.tf")):
        for kind, blocks in parse_file(path).items():
            config.blocks.setdefault(kind, []).extend(blocks)
    return config


def config_dirs() -> list[Path]:
    return sorted({p.parent for p in tf_files()})
