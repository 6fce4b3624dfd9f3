"""The bulk (column-wise) REST bodies are byte for byte the per-value ones: `decimal_strings` is
`decimal_str` on adversarial floats (ties, float noise, carries, signs, large and tiny magnitudes), and
the klines / aggTrades / trades bodies are `json.dumps` of the per-row shapes, real Binance rows included."""

from __future__ import annotations

import json
import random
import struct

import pyarrow as pa
import pytest

from binance_assets.binance import rest_bulk as bulk
from binance_assets.binance import rest_shapes as shapes

EDGES = [
    0.0, -0.0, 1e-9, -1e-9, 5e-9, -5e-9, 1.5e-8, 2.5e-8, -2.5e-8, 3.5e-8, 0.999999995, 9.999999995, 0.000000045,
    99999999.999999995, 12345678.123456785, 1e16, 1e18, -1e18, 5e-324, 97000.01, 0.1 + 0.2, 123456789.123456789,
    1e-5, 60759.6, 2.0**50 / 1e8, 2.0**53, 0.3 - 0.1, 1.9999999949999999, 1.000000005,
]


def _floats(n: int, seed: int) -> list[float]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        k = i % 8
        if k == 0:
            out.append(rnd.uniform(-1e8, 1e8))
        elif k == 1:
            out.append(round(rnd.uniform(0, 1e5), rnd.randint(0, 12)))
        elif k == 2:
            out.append(struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0])
        elif k == 3:
            out.append(rnd.randint(0, 10**9) / 10**9 + rnd.randint(0, 10**5))  # 9 decimals: ties
        elif k == 4:
            out.append(sum(round(rnd.uniform(0, 2), 5) for _ in range(5)))  # float noise of a sum
        elif k == 5:
            out.append(-rnd.random() * 1e-8)  # rounds to (negative) zero
        elif k == 6:
            out.append(rnd.randint(0, 10**9) * 5 / 10**9 * 10 ** rnd.randint(-3, 9))
        else:
            out.append(round(rnd.uniform(9e4, 1e5), 2) * round(rnd.uniform(0, 3), 5))  # quote volumes
    # decimal_str refuses what Decimal cannot quantize to 8 places (|v| >= 1e20) and non-finite values
    return [v for v in out if v == v and abs(v) < 1e19]


def test_decimal_strings_is_decimal_str():
    values = _floats(16_000, seed=7) + EDGES
    got = bulk.decimal_strings(pa.array(values)).to_pylist()
    expected = [shapes.decimal_str(v) for v in values]
    wrong = [(v, g, e) for v, g, e in zip(values, got, expected, strict=True) if g != e]
    assert not wrong, wrong[:5]
    assert bulk.decimal_strings(pa.chunked_array([[1.5], [2.25]])).to_pylist() == ["1.50000000", "2.25000000"]
    assert bulk.decimal_strings(pa.array([3, -2], pa.int64())).to_pylist() == ["3.00000000", "-2.00000000"]
    assert bulk.decimal_strings(pa.array([], pa.float64())).to_pylist() == []


@pytest.mark.parametrize("bad", [[1.0, None], [float("nan")], [float("inf")]])
def test_decimal_strings_refuses_what_decimal_str_refuses(bad):
    with pytest.raises((TypeError, ValueError)):
        bulk.decimal_strings(pa.array(bad, pa.float64()))


def _dumps(rows) -> bytes:
    return json.dumps(rows, separators=(",", ":")).encode()


def test_bodies_are_the_per_row_shapes(fixtures_dir):
    rnd = random.Random(3)
    real = json.loads((fixtures_dir / "rest" / "klines.json").read_text())
    rows = [tuple(float(v) if isinstance(v, str) else v for v in k[:11]) for k in real]
    rows += [(1735689600000 + i * 60_000, *(round(rnd.uniform(9e4, 1e5), 2) for _ in range(4)),
              sum(rnd.random() for _ in range(7)), 1735689600000 + i * 60_000 + 59_999, rnd.random() * 3e5,
              rnd.randint(0, 99), rnd.random(), rnd.random() * 1e5) for i in range(300)]
    columns = [pa.array(c) for c in zip(*rows, strict=True)]
    body = bulk.klines_body(*columns)
    assert body == _dumps([shapes.kline_array(*r) for r in rows])
    assert json.loads(body)[: len(real)] == real
    assert bulk.klines_body(*[c[:0] for c in columns]) == b"[]"

    aggs = [(i, round(rnd.uniform(9e4, 1e5), 2), round(rnd.random(), 5), 3 * i, 3 * i + 2, 1735689600000 + i,
             rnd.random() < 0.5, [True, False, None][i % 3]) for i in range(300)]
    body = bulk.agg_trades_body(*[pa.array(c) for c in zip(*aggs, strict=True)])
    assert body == _dumps([shapes.agg_trade_obj(*r[:7], True if r[7] is None else r[7]) for r in aggs])

    trades = [(i, round(rnd.uniform(9e4, 1e5), 2), round(rnd.random(), 5), rnd.random() * 1e4, 1735689600000 + i,
               rnd.random() < 0.5, [True, None][i % 2]) for i in range(300)]
    body = bulk.trades_body(*[pa.array(c) for c in zip(*trades, strict=True)])
    assert body == _dumps([shapes.trade_obj(*r[:6], True if r[6] is None else r[6]) for r in trades])
