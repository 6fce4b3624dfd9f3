"""The README stays short and its links resolve; the docs site builds with no warning; the README's lineage
picture is the one the docs generate from the Dagster definitions (so neither can drift from the code)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_README_LINES = 150
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_is_short() -> None:
    count = len(_readme().splitlines())
    assert count <= MAX_README_LINES, f"README.md has {count} lines, at most {MAX_README_LINES}: detail goes to docs/"


def test_readme_starts_with_the_two_commands() -> None:
    """A newcomer on a fresh machine reads `make demo` and `make test` first: the first code block, within
    the first 10 lines, holds exactly those two commands, in that order."""
    text = _readme()
    first_block = FENCE.search(text)
    assert first_block is not None, "README.md has no code block"
    assert text[: first_block.start()].count("\n") < 10, "the commands must come within the README's first 10 lines"
    commands = [line.split("#", 1)[0].strip() for line in first_block.group(2).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"], commands


def test_readme_relative_links_resolve() -> None:
    links = LINK.findall(_readme())
    relative = [link for link in links if not urlsplit(link).scheme and not link.startswith("#")]
    assert relative, "README.md links into the docs"
    missing = [link for link in relative if not (ROOT / unquote(urlsplit(link).path)).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build --strict` of the docs site (what `make docs` runs) into a temporary folder."""
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return site


def test_docs_build_strict_with_generated_reference(built_site: Path) -> None:
    """The strict build passed (no broken link or anchor, no page left out of the nav); the reference pages
    were generated from the code: every asset group, CLI command, API path and settings class is there."""
    assert (built_site / "index.html").is_file()
    reference = {name: (built_site / "reference" / f"{name}.html").read_text(encoding="utf-8")
                 for name in ("settings", "cli", "api", "assets", "automation")}
    assert "BINANCE_ASSETS_SYMBOLS" in reference["settings"] and "BINANCE_ASSETS_API_REDIS_URL" in reference["settings"]
    assert "validate-archive" in reference["cli"] and "models rollback" in reference["cli"]
    assert "/api/v3/klines" in reference["api"] and "/api/v1/predictions/{symbol}/accuracy" in reference["api"]
    assert "raw/spot_trades" in reference["assets"] and "unique_ids" in reference["assets"]
    assert "archive_landing_sensor" in reference["automation"] and "materialize_all" in reference["automation"]
    # Offline: no page asks a CDN or a font service for anything.
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "unpkg.com" not in text and "fonts.googleapis.com" not in text, page


def _mermaid_blocks_in_html(page: Path) -> list[str]:
    blocks = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', page.read_text(encoding="utf-8"), re.S)
    return [html.unescape(block).strip() for block in blocks]


def test_readme_lineage_is_the_generated_one(built_site: Path) -> None:
    generated = _mermaid_blocks_in_html(built_site / "reference" / "assets.html")
    assert len(generated) == 1, "the assets reference page carries one lineage diagram"
    in_readme = [body.strip() for lang, body in FENCE.findall(_readme()) if lang == "mermaid"]
    assert in_readme == generated, (
        "README.md's lineage diagram differs from the Dagster definitions; replace its mermaid block with:\n\n"
        f"```mermaid\n{generated[0]}\n```"
    )
    assert _mermaid_blocks_in_html(built_site / "index.html") == generated
