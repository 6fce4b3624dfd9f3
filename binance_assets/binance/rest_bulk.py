"""Binance's REST shapes in bulk: the JSON bodies of klines, aggTrades and trades built from Arrow columns
with vectorised NumPy/Arrow kernels instead of one Python call per value (the serving API's hot path).

Same bytes as `json.dumps([rest_shapes.kline_array(...), ...], separators=(",", ":"))` (and likewise for
`agg_trade_obj` / `trade_obj`): the tests compare both on the warehouse's rows and on adversarial values.

`decimal_strings` is `rest_shapes.decimal_str` for a whole column, the same rule (the value's shortest
repr rounded half-even to 8 decimals) done in integer units of 1e-8: `rint(v * 1e8)`, printed by Arrow.
That is exact unless `v * 1e8` lies within float error of a rounding tie (the repr could then round the
other way): those values, nulls and non-finite values go through `decimal_str` itself (which raises
for nulls and non-finite values, as the per-value path does).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .rest_shapes import decimal_str

_SCALE = 1e8
_EXACT_BELOW = 2.0**50  # |v * 1e8| below this: float64 holds the 1e-8 units exactly, with room for the margin
_MARGIN_ULPS = 2.0  # |repr*1e8 - fl(v*1e8)| <= 1.5 ulp(fl(v*1e8)): a margin of 2 ulps decides every other value


def _array(column) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def decimal_strings(column) -> pa.Array:
    """`decimal_str` of every value of an Arrow column of numbers, as an Arrow string array."""
    arr = _array(column)
    if not pa.types.is_floating(arr.type) or arr.null_count:
        return pa.array([decimal_str(v) for v in arr.to_pylist()], type=pa.string())
    v = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore", over="ignore"):
        y = v * _SCALE
        mag = np.abs(y)
        frac = y - np.floor(y)
        ok = (mag < _EXACT_BELOW) & (np.abs(frac - 0.5) > _MARGIN_ULPS * np.spacing(mag))
        units = np.where(ok, np.rint(y), 0.0).astype(np.int64)
    digits = pc.utf8_lpad(pa.array(np.abs(units)).cast(pa.string()), width=9, padding="0")
    text = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(digits, 0, -8), pc.utf8_slice_codeunits(digits, -8), "."
    )
    if (units < 0).any():
        text = pc.if_else(pa.array(units < 0), pc.binary_join_element_wise("-", text, ""), text)
    if not ok.all():
        out = text.to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(~ok):
            out[i] = decimal_str(float(v[i]))
        text = pa.array(out, type=pa.string())
    return text


def _ints(column) -> pa.Array:
    """JSON integers (int(value) of every value; nulls raise, as int(None) does)."""
    arr = _array(column)
    if arr.null_count:
        raise TypeError("null where Binance sends an integer")
    if not pa.types.is_integer(arr.type):
        arr = arr.cast(pa.int64())  # safe cast: refuses fractional or out-of-range values
    return arr.cast(pa.string())


def _bools(column, null_as: bool | None = None) -> pa.Array:
    arr = _array(column)
    if null_as is not None:
        arr = pc.fill_null(arr, null_as)
    if arr.null_count:
        raise TypeError("null where Binance sends a boolean")
    return arr.cast(pa.string())  # "true" / "false", as JSON spells them


def _rows(pieces: list, n: int) -> pa.Array:
    """Each row's JSON: the element-wise concatenation of `pieces`."""
    if n == 0:
        return pa.array([], type=pa.string())
    return pc.binary_join_element_wise(*pieces, "")


def _body(pieces: list, n: int) -> bytes:
    """`[` + the rows joined by `,` + `]`."""
    if n == 0:
        return b"[]"
    return b"[" + ",".join(_rows(pieces, n).to_pylist()).encode() + b"]"


def _kline_pieces(open_ms, open_, high, low, close, volume, close_ms, quote_volume, trades, tbb, tbq) -> list:
    d = decimal_strings
    return ["[", _ints(open_ms), ',"', d(open_), '","', d(high), '","', d(low), '","', d(close), '","', d(volume),
            '",', _ints(close_ms), ',"', d(quote_volume), '",', _ints(trades), ',"', d(tbb), '","', d(tbq), '","0"]']


def klines_body(open_ms, open_, high, low, close, volume, close_ms, quote_volume, trades, tbb, tbq) -> bytes:
    """The `/api/v3/klines` body: rows of `rest_shapes.kline_array`, compact JSON."""
    pieces = _kline_pieces(open_ms, open_, high, low, close, volume, close_ms, quote_volume, trades, tbb, tbq)
    return _body(pieces, len(open_ms))


def klines_rows(open_ms, open_, high, low, close, volume, close_ms, quote_volume, trades, tbb, tbq) -> pa.Array:
    """Each row of `klines_body` on its own (a string array): the body is `[` + them joined by `,` + `]`."""
    pieces = _kline_pieces(open_ms, open_, high, low, close, volume, close_ms, quote_volume, trades, tbb, tbq)
    return _rows(pieces, len(open_ms))


def _agg_trade_pieces(agg_id, price, qty, first_id, last_id, time_ms, is_buyer_maker, is_best_match) -> list:
    return ['{"a":', _ints(agg_id), ',"p":"', decimal_strings(price), '","q":"', decimal_strings(qty), '","f":',
            _ints(first_id), ',"l":', _ints(last_id), ',"T":', _ints(time_ms), ',"m":', _bools(is_buyer_maker, False),
            ',"M":', _bools(is_best_match, True), "}"]


def agg_trades_body(agg_id, price, qty, first_id, last_id, time_ms, is_buyer_maker, is_best_match) -> bytes:
    """The `/api/v3/aggTrades` body: objects of `rest_shapes.agg_trade_obj` (a null best-match is true)."""
    pieces = _agg_trade_pieces(agg_id, price, qty, first_id, last_id, time_ms, is_buyer_maker, is_best_match)
    return _body(pieces, len(agg_id))


def agg_trades_rows(agg_id, price, qty, first_id, last_id, time_ms, is_buyer_maker, is_best_match) -> pa.Array:
    """Each object of `agg_trades_body` on its own (a string array)."""
    pieces = _agg_trade_pieces(agg_id, price, qty, first_id, last_id, time_ms, is_buyer_maker, is_best_match)
    return _rows(pieces, len(agg_id))


def trades_body(trade_id, price, qty, quote_qty, time_ms, is_buyer_maker, is_best_match) -> bytes:
    """The `/api/v3/trades` and `historicalTrades` body: objects of `rest_shapes.trade_obj`."""
    return _body(
        ['{"id":', _ints(trade_id), ',"price":"', decimal_strings(price), '","qty":"', decimal_strings(qty),
         '","quoteQty":"', decimal_strings(quote_qty), '","time":', _ints(time_ms), ',"isBuyerMaker":',
         _bools(is_buyer_maker, False), ',"isBestMatch":', _bools(is_best_match, True), "}"],
        len(trade_id),
    )
