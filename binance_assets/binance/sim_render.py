"""Render a simulated day: canonical arrow tables, Binance-format CSV bytes, zip + CHECKSUM."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .checksum import format_checksum
from .datasets import Dataset, layouts
from .formats import CsvFormat
from .schema import SCHEMAS, TIMESTAMP, ArchiveKind, Market
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


def _text_plain(units: np.ndarray) -> pa.Array:
    """Units of 1e-8 as Binance's futures archives print amounts: the shortest decimal, at least one digit after
    the point (`78153.0`, `0.001`, `1094.1406`): the 8-decimal text without its trailing zeros."""
    text = pc.replace_substring_regex(_text_8dp(units), r"0+$", "")
    return pc.replace_substring_regex(text, r"\.$", ".0")


def _text_bool(values: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(values), "True", "False")


def _text_columns(raw: RawDay, kind: ArchiveKind, futures: bool, plain: bool = False) -> dict[str, pa.Array]:
    """Every column of `kind` as Binance prints it, by canonical name (spot `True`, futures `true`; amounts with 8
    decimals, or `plain` as futures archives print them)."""
    amount = _text_plain if plain else _text_8dp

    def flags(values: np.ndarray) -> pa.Array:
        text = _text_bool(values)
        return pc.utf8_lower(text) if futures else text

    if kind is ArchiveKind.TRADES:
        return {
            "trade_id": _text_int(raw.trade_id),
            "price": amount(raw.price),
            "qty": amount(raw.qty),
            "quote_qty": amount(raw.quote),
            "trade_time": _text_int(raw.day_start + raw.time),
            "is_buyer_maker": flags(raw.buyer_maker),
            "is_best_match": flags(np.ones(len(raw.time), bool)),
        }
    if kind is ArchiveKind.AGG_TRADES:
        return {
            "agg_trade_id": _text_int(raw.agg_id),
            "price": amount(raw.agg_price),
            "qty": amount(raw.agg_qty),
            "first_trade_id": _text_int(raw.agg_first),
            "last_trade_id": _text_int(raw.agg_last),
            "trade_time": _text_int(raw.day_start + raw.agg_time),
            "is_buyer_maker": flags(raw.agg_buyer_maker),
            "is_best_match": flags(np.ones(len(raw.agg_id), bool)),
        }
    k = raw.klines
    cols = {n: amount(k[n]) if n in _PRICE_COLUMNS else _text_int(k[n]) for n in SCHEMAS[ArchiveKind.KLINES].names}
    return cols | {"ignore": pa.array(np.full(len(k["open_time"]), "0"))}


def csv_bytes(
    raw: RawDay, kind: ArchiveKind, layout: CsvFormat | None = None, header: bool | Sequence[str] = False,
    plain: bool = False,
) -> bytes:
    """CSV in `layout` (default: spot's) as Binance's archive prints it: headerless, or (futures archives since
    2022) with a header row (`header`: those names, or True: the canonical column names); `plain`: amounts as
    futures archives print them."""
    layout = layout or next(iter(layouts(kind, Market.SPOT).values()))
    text = _text_columns(raw, kind, layout.futures, plain)
    cols = [text[name] for name in layout.names]
    table = pa.Table.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))])
    sink = io.BytesIO()
    if header:
        sink.write((",".join(layout.names if header is True else header) + "\n").encode())
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue()


def in_milliseconds(raw: RawDay) -> RawDay:
    """The day with every time truncated to milliseconds (as a millisecond archive prints it)."""
    if raw.unit == "ms":
        return raw
    klines = {n: v // 1000 if n.endswith("_time") else v for n, v in raw.klines.items()}
    return replace(
        raw, unit="ms", day_start=raw.day_start // 1000, time=raw.time // 1000, agg_time=raw.agg_time // 1000,
        klines=klines,
    )  # fmt: skip


def _for(raw: RawDay, dataset: Dataset) -> RawDay:
    if not dataset.simulated:
        raise ValueError(f"the simulator does not render {dataset.id}")
    return in_milliseconds(raw) if dataset.milliseconds_only else raw


def dataset_csv(raw: RawDay, dataset: Dataset, header: bool | None = None) -> bytes:
    """The day's archive CSV of `dataset` byte for byte as Binance writes it (its first layout, its time unit, its
    number format, its header row if it has one); `header` False: without a header row, True: with one (the
    dataset's, else the canonical column names)."""
    names = dataset.header if header is None else (header and (dataset.header or True))
    return csv_bytes(_for(raw, dataset), dataset.kind, dataset.layouts[0], names or False, dataset.plain_numbers)


def dataset_table(raw: RawDay, dataset: Dataset) -> pa.Table:
    """The canonical table the reader returns for `dataset_csv` (columns the layout lacks are null)."""
    table = tables(_for(raw, dataset))[dataset.kind]
    names = set(dataset.layouts[0].names)
    for i, field in enumerate(table.schema):
        if field.name not in names:
            table = table.set_column(i, field, pa.nulls(table.num_rows, field.type))
    return table.cast(dataset.schema)


def zip_bytes(csv_name: str, data: bytes, day: date, compresslevel: int = 6) -> bytes:
    """A deterministic zip holding the one CSV (deflated at `compresslevel`: 6, zlib's default; 1 is ~4x faster
    and ~30% larger)."""
    info = zipfile.ZipInfo(csv_name, date_time=(day.year, day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as zf:
        zf.writestr(info, data, compresslevel=compresslevel)
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


def write_archive(zip_path: Path, csv_name: str, data: bytes, day: date, compresslevel: int = 6) -> None:
    """Zip first, then its CHECKSUM (no trailing newline): the pair is complete once both exist."""
    payload = zip_bytes(csv_name, data, day, compresslevel)
    write_atomic(zip_path, payload)
    checksum = format_checksum(hashlib.sha256(payload).hexdigest(), zip_path.name)
    write_atomic(zip_path.with_name(zip_path.name + ".CHECKSUM"), checksum.encode())
