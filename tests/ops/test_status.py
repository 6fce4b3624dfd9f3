"""`binance-assets status --day D`: per symbol of the day's universe, loaded / failed / missing / pending, from
the warehouse's load_log, the quarantine and the deadline rule (publication.deadline_for)."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

from support.ingestion import SEED, START, SYMBOLS, TRADES_PER_DAY, make_settings, rewrite_archive, run_partition

from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_day, simulate_mirror
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.lib.resources import warehouse_resource
from binance_assets.ops.status import day_status, format_status

BTC, ETH = SYMBOLS


def test_status_of_a_day_per_symbol_and_table(tmp_path):
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, SYMBOLS, START, 1, seed=SEED, trades_per_day=TRADES_PER_DAY)
    spec = ArchiveSpec(symbol=ETH, kind=ArchiveKind.TRADES, day=START)
    with zipfile.ZipFile(mirror / spec.relative_path) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    rewrite_archive(mirror, spec, "\n".join([*lines, lines[-1]]) + "\n")  # refused: a duplicated id
    shutil.rmtree(mirror / "data" / "spot" / "daily" / "klines" / ETH)  # ETH's klines never arrive
    settings = make_settings(tmp_path, mirror)
    assert not run_partition(settings, START, None).success
    warehouse = warehouse_resource(settings).get()

    deadline = dt.datetime.combine(START + dt.timedelta(days=1), dt.time(6), dt.UTC)  # 06:00 UTC the next day
    before, after = deadline - dt.timedelta(minutes=1), deadline + dt.timedelta(minutes=1)
    status = {(r.table, r.symbol): r for r in day_status(settings, warehouse, START, after)}
    assert set(status) == {(t, s) for t in ("spot_trades", "spot_agg_trades", "spot_klines_1m") for s in SYMBOLS}
    truth = simulate_day(BTC, START, seed=SEED, trades_per_day=TRADES_PER_DAY)
    assert (status[("spot_trades", BTC)].status, status[("spot_trades", BTC)].rows) == (
        "loaded", truth.table(ArchiveKind.TRADES).num_rows)
    assert status[("spot_trades", ETH)].status == "failed" and "unique_ids" in status[("spot_trades", ETH)].detail
    assert status[("spot_klines_1m", ETH)].status == "missing"
    assert status[("spot_agg_trades", ETH)].status == "loaded"
    assert {r.status for r in day_status(settings, warehouse, START, before) if r.symbol == ETH} == {
        "failed", "pending", "loaded"}
    head, *_ = format_status(START, list(status.values()))
    assert head == f"{START}: 2 symbols x 3 tables: 4 loaded, 1 failed, 1 missing"
