"""Smoke mode of the benchmarks: `--smoke` (or BENCH_SMOKE=1) runs a benchmark's own code path on tiny sizes, in
seconds, and prints its usual summary line. tests/test_benchmarks_smoke.py runs every benchmark so in `make test`,
so one that breaks fails CI; the figures of a smoke run measure nothing."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None, **tiny: Any) -> argparse.Namespace:
    """`parser.parse_args(argv)`, plus `--smoke`: then `tiny` (destination=value) are the defaults (options given
    on the command line still win)."""
    sizes = ", ".join(f"{name}={value}" for name, value in tiny.items())
    parser.add_argument("--smoke", action="store_true", default=os.environ.get("BENCH_SMOKE") == "1",
                        help=f"check the path in seconds on tiny sizes ({sizes}); measures nothing (or BENCH_SMOKE=1)")
    if parser.parse_known_args(argv)[0].smoke:
        parser.set_defaults(**tiny)
    return parser.parse_args(argv)
