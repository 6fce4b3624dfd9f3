"""`validate-archive` checks klines of every interval with that interval's close time, and futures archives
as their market has them.

Files: klines of each interval built here with pandas from the simulator's byte-exact 1m archives (one
millisecond day of 2024, one microsecond day of 2025, February 2025 for the monthly archives), Binance's
own example rows (binance/binance-public-data README) and the real futures samples of shared/fixtures.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from binance_assets.binance.errors import ArchiveLayoutError
from binance_assets.binance.reader import read_archive
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ingestion.validate import validate_archive

CLI = str(Path(sys.executable).parent / "binance-assets")

SYMBOL = "BTCUSDT"
MS_DAY, US_DAY = dt.date(2024, 12, 31), dt.date(2025, 1, 1)  # spot archives turned to µs on 2025-01-01
MONTH = dt.date(2025, 2, 1)
COLUMNS = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
           "taker_buy_volume", "taker_buy_quote_volume", "ignore"]
SUMS = ["volume", "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume"]
STEP = {"3m": "3min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h", "2h": "2h", "4h": "4h", "6h": "6h",
        "8h": "8h", "12h": "12h", "1d": "1D", "3d": "3D"}
DAILY = ["3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"]
MONTHLY = ["1d", "3d", "1w", "1mo"]  # Binance publishes 3d, 1w and 1mo klines in monthly archives only


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # this tree's package
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def minutes(tmp_path_factory) -> dict[dt.date, tuple[pd.DataFrame, str, bytes]]:
    """The simulator's 1m klines of the two days and of February 2025: raw CSV values, unit, CSV bytes."""
    out = tmp_path_factory.mktemp("sim-klines")
    simulate_mirror(out, [SYMBOL], MS_DAY, 2, seed=5, trades_per_day=200, kinds=[ArchiveKind.KLINES])
    simulate_mirror(out, [SYMBOL], MONTH, 28, seed=6, trades_per_day=50, kinds=[ArchiveKind.KLINES])
    found = {}
    for path in sorted(out.rglob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            data = archive.read(archive.namelist()[0])
        frame = pd.read_csv(io.BytesIO(data), header=None, names=COLUMNS)
        day = dt.date.fromisoformat(path.stem.split("-", 2)[2])
        found[day] = (frame, "us" if frame["open_time"].iloc[0] > 10**14 else "ms", data)
    return found


def opens_and_next(times: pd.Series, interval: str) -> tuple[pd.Series, pd.Series]:
    """Each minute's kline open time in `interval` (weeks from Monday, calendar months) and the next one's."""
    if interval == "1mo":
        start = times.dt.to_period("M").dt.start_time
        return start, start + pd.offsets.MonthBegin(1)
    if interval == "1w":
        start = times.dt.to_period("W-SUN").dt.start_time  # Monday 00:00 to Sunday 23:59
        return start, start + pd.Timedelta(weeks=1)
    step = pd.Timedelta(STEP[interval])
    start = times.dt.floor(step)  # multiples of the interval since the epoch
    return start, start + step


def klines_csv(frame: pd.DataFrame, unit: str, interval: str, *, close_as_minutes: bool = False) -> str:
    """Binance's klines of `interval` from 1m klines, as its archives print them (no header, 8 decimals)."""
    times = pd.to_datetime(frame["open_time"], unit=unit)
    start, following = opens_and_next(times, interval)
    one = pd.Timedelta(1, unit=unit)
    frame = frame.assign(start=start, next_open=following)
    rows = frame.groupby("start", sort=True).agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"),
        next_open=("next_open", "first"), **{k: (k, "sum") for k in SUMS},
    )
    rows = rows[rows.index >= times.min().normalize()]  # a kline that opened before the file's first day is not in it
    lines = []
    for opened, row in rows.iterrows():
        close = opened + pd.Timedelta(minutes=1) - one if close_as_minutes else row["next_open"] - one
        to_int = (lambda t: t.value // 1000) if unit == "us" else (lambda t: t.value // 1_000_000)
        prices = [f"{row[k]:.8f}" for k in ("open", "high", "low", "close")]
        lines.append(",".join([
            str(to_int(opened)), *prices, f"{row['volume']:.8f}", str(to_int(close)), f"{row['quote_volume']:.8f}",
            str(int(row["count"])), f"{row['taker_buy_volume']:.8f}", f"{row['taker_buy_quote_volume']:.8f}", "0",
        ]))
    return "\n".join(lines) + "\n"


def write_zip(root: Path, relative: str, text: str) -> Path:
    """A zip holding one CSV named like it, at `relative` (a data.binance.vision path)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(path.name.replace(".zip", ".csv"), text)
    return path


def interval_archive(root: Path, minutes, interval: str, label: str, *, close_as_minutes: bool = False) -> Path:
    period = "monthly" if len(label) == 7 else "daily"
    days = [d for d in minutes if d.isoformat().startswith(label)]
    frame = pd.concat([minutes[d][0] for d in days], ignore_index=True)
    text = klines_csv(frame, minutes[days[0]][1], interval, close_as_minutes=close_as_minutes)
    name = f"{SYMBOL}-{interval}-{label}.zip"
    return write_zip(root, f"data/spot/{period}/klines/{SYMBOL}/{interval}/{name}", text)


@pytest.mark.parametrize(
    ("interval", "label"),
    [(iv, str(MS_DAY)) for iv in DAILY] + [(iv, str(US_DAY)) for iv in DAILY] + [(iv, "2025-02") for iv in MONTHLY],
)
def test_klines_of_every_interval_pass_with_their_own_close_time(minutes, tmp_path, interval, label):
    path = interval_archive(tmp_path, minutes, interval, label)
    result = validate_archive(path)
    assert not result.rejected, result.rejection
    lines = zipfile.ZipFile(path).read(path.name.replace(".zip", ".csv")).decode().splitlines()
    summary = result.as_dict()
    assert summary["rows"] == len(lines) and summary["interval"] == {"1mo": "1M"}.get(interval, interval)
    assert summary["timestamp_unit"] == ("ms" if label == str(MS_DAY) else "us")
    assert (summary.get("trade_date"), summary.get("month")) == ((label, None) if len(label) == 10 else (None, label))


@pytest.mark.parametrize(("interval", "label"), [("5m", str(MS_DAY)), ("1h", str(US_DAY)), ("1mo", "2025-02")])
def test_klines_closing_like_minutes_are_refused_in_a_longer_interval(minutes, tmp_path, interval, label):
    path = interval_archive(tmp_path, minutes, interval, label, close_as_minutes=True)
    result = validate_archive(path)
    assert result.rejected
    name = {"1mo": "1M"}.get(interval, interval)
    assert f"close_time is the last instant of its {name} kline" in result.rejection


def test_one_minute_klines_named_as_hourly_are_refused(minutes, tmp_path):
    text = minutes[US_DAY][2].decode()  # the simulator's 1m archive, byte for byte, named 1h
    path = write_zip(tmp_path, f"data/spot/daily/klines/{SYMBOL}/1h/{SYMBOL}-1h-{US_DAY}.zip", text)
    result = validate_archive(path)
    assert result.rejected and "close_time is the last instant of its 1h kline" in result.rejection


# Binance's example rows (github.com/binance/binance-public-data README): a spot 1h kline in microseconds,
# a USD-M 1w kline (2017-07-03, a Monday), a COIN-M 1m kline and a COIN-M trade; futures files have a header.
FUTURES_KLINES_HEADER = ",".join(COLUMNS)
README_ROWS = {
    "data/spot/daily/klines/BNBBTC/1h/BNBBTC-1h-2025-01-01.zip": (
        "1735689600000000,4.15070000,4.15870000,4.15060000,4.15540000,539.23000000,1735693199999999,"
        "2240.39860900,13,401.82000000,1669.98121300,0\n",
        ("klines", "spot", "1h"),
    ),
    "data/futures/um/monthly/klines/BTCUSDT/1w/BTCUSDT-1w-2017-07.zip": (
        f"{FUTURES_KLINES_HEADER}\n1499040000000,0.01634790,0.80000000,0.01575800,0.01577100,148976.11427815,"
        "1499644799999,2434.19055334,308,1756.87402397,28.46694368,17928899.62484339\n",
        ("klines", "futures/um", "1w"),
    ),
    "data/futures/cm/daily/klines/BTCUSD_PERP/1m/BTCUSD_PERP-1m-2020-06-04.zip": (
        f"{FUTURES_KLINES_HEADER}\n1591258320000,9640.7,9642.4,9640.6,9642.0,206,1591258379999,2.13660389,48,119,"
        "1.23424865,0\n",
        ("klines", "futures/cm", "1m"),
    ),
    "data/futures/cm/daily/trades/BTCUSD_PERP/BTCUSD_PERP-trades-2020-06-04.zip": (
        "id,price,qty,base_qty,time,is_buyer_maker\n28457,9635.0,1,0.01037883,1591250192508,true\n",
        ("trades", "futures/cm", None),
    ),
}


@pytest.mark.parametrize("relative", list(README_ROWS), ids=lambda r: r.split("/")[-1])
def test_binance_documented_rows_validate_as_what_they_are(tmp_path, relative):
    text, (kind, market, interval) = README_ROWS[relative]
    result = validate_archive(write_zip(tmp_path, relative, text))
    assert not result.rejected, result.rejection
    summary = result.as_dict()
    assert (summary["kind"], summary["market"], summary.get("interval")) == (kind, market, interval)
    assert summary["symbol"] == relative.rsplit("/", 1)[1].split("-")[0]


def test_the_cli_accepts_a_real_hourly_archive_and_coin_m_trades(tmp_path):
    for relative in list(README_ROWS)[::3]:  # the spot 1h kline and the COIN-M trade
        proc = run_cli("validate-archive", str(write_zip(tmp_path, relative, README_ROWS[relative][0])))
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["accepted"] is True


def test_coin_m_trades_keep_base_qty_and_are_not_held_to_the_quote_rule(tmp_path):
    relative = list(README_ROWS)[3]
    contents = read_archive(write_zip(tmp_path, relative, README_ROWS[relative][0]))
    # 0.01037883 is the trade's worth in BTC (one 100 USD contract at 9635.0), not a quote amount.
    assert "quote_qty" not in contents.table.column_names
    assert contents.table["base_qty"].to_pylist() == [0.01037883]
    assert contents.market.value == "futures/cm"


@pytest.mark.parametrize("name", ["BTCUSDT-trades-2026-09-15.csv", "BTCUSDT-aggTrades-2026-09-15.csv"])
def test_real_usd_m_samples_validate_in_their_layout_path(fixtures_dir, tmp_path, name):
    kind = "trades" if "-trades-" in name else "aggTrades"
    text = (fixtures_dir / "um" / name).read_text()  # the CSV as Binance wrote it, header included
    path = write_zip(tmp_path, f"data/futures/um/daily/{kind}/BTCUSDT/{name.replace('.csv', '.zip')}", text)
    result = validate_archive(path)
    assert not result.rejected, result.rejection
    summary = result.as_dict()
    assert (summary["kind"], summary["market"], summary["had_header"]) == (kind, "futures/um", True)
    assert summary["rows"] == len(text.splitlines()) - 1


def test_usd_m_trades_in_a_coin_m_path_are_refused(fixtures_dir, tmp_path):
    text = (fixtures_dir / "um" / "BTCUSDT-trades-2026-09-15.csv").read_text()
    path = write_zip(tmp_path, "data/futures/cm/daily/trades/BTCUSDT/BTCUSDT-trades-2026-09-15.zip", text)
    with pytest.raises(ArchiveLayoutError, match="futures/cm archive with futures/um's header"):
        validate_archive(path)
