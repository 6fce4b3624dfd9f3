"""The repository's Dockerfile as stages (dockerfile-parse does the lexing): what each target runs.

A stage's effective ENV, USER, WORKDIR, EXPOSE, HEALTHCHECK and CMD follow Docker's rules: inherited from
the stage it is built FROM, later instructions win.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@dataclass(frozen=True)
class Healthcheck:
    command: list[str]
    options: dict[str, str]


@dataclass(frozen=True)
class Stage:
    name: str
    base: str  # image or parent stage
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    workdir: str = "/"
    expose: tuple[int, ...] = ()
    healthcheck: Healthcheck | None = None
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    copies: tuple[tuple[str, ...], ...] = ()  # (flags and sources..., destination) of this stage's COPYs
    runs: tuple[str, ...] = ()  # this stage's own RUN lines
    own: frozenset[str] = frozenset()  # instructions written in this stage itself


def exec_form(value: str) -> list[str]:
    """`["a", "b"]` -> ["a", "b"]; the shell form becomes `/bin/sh -c "..."` as Docker runs it."""
    value = value.strip()
    if value.startswith("["):
        return json.loads(value)
    return ["/bin/sh", "-c", value]


def parse_env(value: str) -> dict[str, str]:
    words = shlex.split(value)
    if len(words) == 2 and "=" not in words[0]:  # legacy `ENV KEY value`
        return {words[0]: words[1]}
    return dict(word.split("=", 1) for word in words)


def parse_healthcheck(value: str) -> Healthcheck | None:
    head, _, command = value.partition("CMD")
    if head.strip() == "NONE":
        return None
    options = dict(opt.removeprefix("--").split("=", 1) for opt in head.split())
    return Healthcheck(command=exec_form(command), options=options)


def stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    parser = DockerfileParser(path=str(path))
    result: dict[str, Stage] = {}
    current: Stage | None = None
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            words = value.split()
            base = next(w for w in words if not w.startswith("--"))
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else f"stage{len(result)}"
            parent = result.get(base)
            current = replace(parent, name=name, base=base, copies=(), runs=(), own=frozenset()) if parent else Stage(
                name=name, base=base
            )
            result[name] = current
            continue
        if current is None or instruction == "COMMENT":
            continue
        changes: dict = {"own": current.own | {instruction}}
        if instruction == "ENV":
            changes["env"] = {**current.env, **parse_env(value)}
        elif instruction == "USER":
            changes["user"] = value.strip()
        elif instruction == "WORKDIR":
            changes["workdir"] = value.strip()
        elif instruction == "EXPOSE":
            changes["expose"] = current.expose + tuple(int(p.split("/")[0]) for p in value.split())
        elif instruction == "HEALTHCHECK":
            changes["healthcheck"] = parse_healthcheck(value)
        elif instruction == "CMD":
            changes["cmd"] = exec_form(value)
        elif instruction == "ENTRYPOINT":
            changes["entrypoint"] = exec_form(value)
        elif instruction == "COPY":
            changes["copies"] = (*current.copies, tuple(json.loads(value) if value.startswith("[") else value.split()))
        elif instruction == "RUN":
            changes["runs"] = (*current.runs, value)
        current = replace(current, **changes)
        result[current.name] = current
    return result


def image_files(stage: Stage) -> dict[str, Path]:
    """Where this stage's COPYs from the build context put repository files: path in the image -> repository path."""
    out = {}
    for copy in stage.copies:
        if any(word.startswith("--from") for word in copy):
            continue
        *sources, dest = [w for w in copy if not w.startswith("--")]
        for source in sources:
            target = dest if len(sources) == 1 and not dest.endswith("/") else f"{dest.rstrip('/')}/{Path(source).name}"
            if not target.startswith("/"):
                target = f"{stage.workdir.rstrip('/')}/{target}"
            out[posixpath.normpath(target)] = ROOT / source
    return out
