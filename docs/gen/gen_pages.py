"""mkdocs-gen-files script: writes the reference pages (docs/gen/reference.py) into the build.

The reference is computed in a subprocess with a fixed environment (see `reference.clean_environment`), so
the pages do not depend on the shell that runs `mkdocs build`. Pages that carry the marker
`<!-- generated: lineage -->` get the lineage diagram in its place.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import mkdocs_gen_files

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reference import ROOT, clean_environment  # noqa: E402

LINEAGE_MARKER = "<!-- generated: lineage -->"

with tempfile.TemporaryDirectory(prefix="bmp-docs-") as data_dir:
    proc = subprocess.run([sys.executable, str(HERE / "reference.py")], capture_output=True, text=True,
                          cwd=ROOT, env=clean_environment(data_dir))
if proc.returncode != 0:
    raise RuntimeError(f"docs/gen/reference.py failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
pages: dict[str, str] = json.loads(proc.stdout)
lineage = pages.pop("_lineage.md")

for path, text in pages.items():
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(text)
    mkdocs_gen_files.set_edit_path(path, "../docs/gen/reference.py")

for source in sorted((ROOT / "docs").rglob("*.md")):
    text = source.read_text()
    if LINEAGE_MARKER in text:
        with mkdocs_gen_files.open(source.relative_to(ROOT / "docs").as_posix(), "w") as page:
            page.write(text.replace(LINEAGE_MARKER, lineage))
