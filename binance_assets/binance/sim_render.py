"""Render a simulated day: canonical arrow tables, Binance-format CSV bytes, zip + CHECKSUM."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .checksum import format_checksum
from .schema import SCHEMAS, TIMESTAMP, ArchiveKind
from .sim_day import SCALE, RawDay

_PRICE_COLUMNS = {
    "open",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "taker_buy_base_volume",
    "taker_buy_quote_volume",
}


def _amount(units: np.ndarray) -> pa.Array:
    return pa.array(units / SCALE, type=pa.float64())  # exact int / 10^8: correctly rounded


def _micros(raw: RawDay, offsets: np.ndarray, absolute: bool = False) -> pa.Array:
    values = offsets if absolute else raw.day_start + offsets
    factor = 1000 if raw.unit == "ms" else 1
    return pa.array(values * factor, type=pa.int64()).cast(TIMESTAMP)


def tables(raw: RawDay) -> dict[ArchiveKind, pa.Table]:
    """The canonical tables of schema.py, exactly what the reader returns for the CSVs."""
    trades = [
        pa.array(raw.trade_id),
        _amount(raw.price),
        _amount(raw.qty),
        _amount(raw.quote),
        _micros(raw, raw.time),
        pa.array(raw.buyer_maker),
        pa.array(np.ones(len(raw.time), bool)),
    ]
    aggs = [
        pa.array(raw.agg_id),
        _amount(raw.agg_price),
        _amount(raw.agg_qty),
        pa.array(raw.agg_first),
        pa.array(raw.agg_last),
        _micros(raw, raw.agg_time),
        pa.array(raw.agg_buyer_maker),
        pa.array(np.ones(len(raw.agg_id), bool)),
    ]
    k = raw.klines
    klines = []
    for field in SCHEMAS[ArchiveKind.KLINES]:
        values = k[field.name]
        if field.name in _PRICE_COLUMNS:
            klines.append(_amount(values))
        elif field.name.endswith("_time"):
            klines.append(_micros(raw, values, absolute=True))
        else:
            klines.append(pa.array(values, type=pa.int64()))
    return {
        ArchiveKind.TRADES: pa.Table.from_arrays(trades, schema=SCHEMAS[ArchiveKind.TRADES]),
        ArchiveKind.AGG_TRADES: pa.Table.from_arrays(aggs, schema=SCHEMAS[ArchiveKind.AGG_TRADES]),
        ArchiveKind.KLINES: pa.Table.from_arrays(klines, schema=SCHEMAS[ArchiveKind.KLINES]),
    }


def _text_int(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.int64()).cast(pa.string())


def _text_8dp(units: np.ndarray) -> pa.Array:
    """Non-negative units of 1e-8 as `123.45000000`, vectorised (no float on the way)."""
    whole = _text_int(units // SCALE)
    frac = pc.utf8_slice_codeunits(_text_int(units % SCALE + SCALE), 1)
    return pc.binary_join_element_wise(whole, frac, ".")


def _text_bool(values: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(values), "True", "False")


def csv_bytes(raw: RawDay, kind: ArchiveKind) -> bytes:
    """Headerless CSV exactly as in Binance's spot archive."""
    if kind is ArchiveKind.TRADES:
        cols = [
            _text_int(raw.trade_id),
            _text_8dp(raw.price),
            _text_8dp(raw.qty),
            _text_8dp(raw.quote),
            _text_int(raw.day_start + raw.time),
            _text_bool(raw.buyer_maker),
            _text_bool(np.ones(len(raw.time), bool)),
        ]
    elif kind is ArchiveKind.AGG_TRADES:
        cols = [
            _text_int(raw.agg_id),
            _text_8dp(raw.agg_price),
            _text_8dp(raw.agg_qty),
            _text_int(raw.agg_first),
            _text_int(raw.agg_last),
            _text_int(raw.day_start + raw.agg_time),
            _text_bool(raw.agg_buyer_maker),
            _text_bool(np.ones(len(raw.agg_id), bool)),
        ]
    else:
        k = raw.klines
        cols = [
            _text_8dp(k[n]) if n in _PRICE_COLUMNS else _text_int(k[n])
            for n in (f.name for f in SCHEMAS[ArchiveKind.KLINES])
        ]
        cols.append(pa.array(np.full(len(k["open_time"]), "0")))
    table = pa.Table.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))])
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue()


def zip_bytes(csv_name: str, data: bytes, day: date) -> bytes:
    """A deterministic zip holding the one CSV."""
    info = zipfile.ZipInfo(csv_name, date_time=(day.year, day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as zf:
        zf.writestr(info, data, compresslevel=6)
    return sink.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_archive(zip_path: Path, csv_name: str, data: bytes, day: date) -> None:
    """Zip first, then its CHECKSUM (no trailing newline): the pair is complete once both exist."""
    payload = zip_bytes(csv_name, data, day)
    write_atomic(zip_path, payload)
    checksum = format_checksum(hashlib.sha256(payload).hexdigest(), zip_path.name)
    write_atomic(zip_path.with_name(zip_path.name + ".CHECKSUM"), checksum.encode())
