"""A per-worker store of column blocks read from the warehouse snapshot, keyed by its version.

A request whose response is not cached would otherwise plan and run a DuckDB query (~5 ms of CPU for
500 rows: binding, planning, the scan, the Arrow conversion) and print every value again. The block
store keeps fixed blocks of rows instead (a UTC day of 1m bars per symbol, a fixed range of aggTrade ids
per symbol: `bar_blocks`, `agg_trade_blocks`), each with its rows already printed as Binance's JSON, so
such a request slices arrays and joins bytes. Blocks are immutable and keyed by the snapshot version
like the response cache: a new published version is never answered from an older version's blocks
(they are dropped when a newer version is first seen, and the byte budget evicts the least recent).

Rows are printed by the same column-wise code as the SQL path (`rest_bulk`), value by value, so a slice
of a printed block is byte for byte the body of the same rows printed on their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from binance_api.services.cache import LocalLRU


class Fallback(Exception):
    """The block path does not answer this request (too many blocks, nulls, ...): the SQL path does."""


@dataclass(frozen=True)
class Printed:
    """Rows printed as JSON values, each followed by a comma, in one buffer: row i is
    `data[offsets[i]:offsets[i + 1] - 1]`."""

    data: bytes
    offsets: np.ndarray

    @classmethod
    def of(cls, rows: pa.Array) -> Printed:
        if len(rows) == 0:
            return cls(b"", np.zeros(1, dtype=np.int64))
        with_commas = pc.binary_join_element_wise(rows, ",", "")
        _, offsets, data = with_commas.buffers()
        start = with_commas.offset
        offs = np.frombuffer(offsets, dtype=np.int32, count=start + len(with_commas) + 1)[start:].astype(np.int64)
        return cls(data.to_pybytes()[offs[0]:offs[-1]], offs - offs[0])

    def part(self, i: int, j: int) -> bytes:
        """Rows i..j-1, each with its trailing comma."""
        return self.data[self.offsets[i]:self.offsets[j]]

    @property
    def nbytes(self) -> int:
        return len(self.data) + self.offsets.nbytes


def body(parts: list[bytes]) -> bytes:
    """A JSON array of the printed parts (each a run of rows with trailing commas)."""
    joined = b"".join(parts)
    return b"[" + joined[:-1] + b"]" if joined else b"[]"


def arrays_nbytes(*arrays: Any) -> int:
    return sum(getattr(a, "nbytes", 0) for a in arrays)


class BlockStore:
    """Blocks by (version, kind, key), at most `max_bytes` of them in all (least recently used dropped)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lru = LocalLRU(max_bytes, sizeof=lambda block: int(block.nbytes))
        self._lock = threading.Lock()
        self._version: str | None = None
        self.loads = 0

    def get(self, version: str, kind: str, key: Hashable, load: Callable[[], Any]) -> Any:
        """The block, loaded by `load()` (from the request's own snapshot session) when not held."""
        with self._lock:
            if version != self._version:
                # A new published version: every older block is out of date (a request still on the old
                # snapshot reloads what it needs from that snapshot; nothing newer is ever served from older).
                self._lru.clear()
                self._version = version
        name = (version, kind, key)
        block = self._lru.get(name)
        if block is None:
            block = load()
            self.loads += 1
            if version == self._version:
                self._lru.put(name, block)
        return block
