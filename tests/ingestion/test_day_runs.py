"""A day run loads every symbol of the day, each (day, symbol) file by write-audit-publish on its own: a refused
file does not stop the others, a late symbol is loaded later by a run that costs that file, a replaced file
reloads that file only. Both engines; expectations from the simulator's raw rows and the load_log."""

from __future__ import annotations

import shutil
import zipfile

import dagster as dg
import pytest
from support.ingestion import (
    DAYS,
    SEED,
    START,
    SYMBOLS,
    TRADES_PER_DAY,
    check_results,
    rewrite_archive,
    run_partition,
    warehouse_of,
)

from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_day, simulate_mirror
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.assets import symbols_run_config
from binance_assets.ingestion.definitions import build_ingestion_defs
from binance_assets.lib.partitions import day_key, scope_tags
from binance_assets.resources import resources_for

RAW = ["spot_trades", "spot_agg_trades", "spot_klines_1m"]
BTC, ETH = SYMBOLS


def versions(settings, day) -> dict[tuple[str, str], int]:
    wh = warehouse_of(settings)
    return {(t, s): (wh.load_log(t, s, day) or {}).get("version") for t in RAW for s in SYMBOLS}


def expected_rows(symbol: str, kind: ArchiveKind, day=START) -> int:
    return simulate_day(symbol, day, seed=SEED, trades_per_day=TRADES_PER_DAY).table(kind).num_rows


def test_a_day_run_publishes_every_symbol_and_a_refused_file_costs_only_its_symbol(settings, mirror):
    spec = ArchiveSpec(symbol=ETH, kind=ArchiveKind.TRADES, day=START)
    with zipfile.ZipFile(mirror / spec.relative_path) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    rewrite_archive(mirror, spec, "\n".join([*lines, lines[-1]]) + "\n")  # a duplicated trade id in ETH's file

    result = run_partition(settings, START, None)  # the whole day: every symbol of the universe
    assert not result.success
    wh = warehouse_of(settings)
    # BTC's three files and ETH's other two are published; ETH's trades are not.
    for table, kind in zip(RAW, (ArchiveKind.TRADES, ArchiveKind.AGG_TRADES, ArchiveKind.KLINES), strict=True):
        assert wh.partition_row_count(table, BTC, START) == expected_rows(BTC, kind)
    assert wh.partition_row_count("spot_trades", ETH, START) == 0
    assert wh.load_log("spot_trades", ETH, START) is None
    assert wh.partition_row_count("spot_agg_trades", ETH, START) == expected_rows(ETH, ArchiveKind.AGG_TRADES)

    # The day's checks judge what was published (it passed) and name the refused file; the step fails on it.
    checks = check_results(result)
    unique = checks[("spot_trades", "unique_ids")]
    assert unique.passed
    assert list(unique.metadata["refused_symbols_not_published"].value) == [ETH]
    assert unique.metadata["symbols_checked"].value == 1
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "raw__spot_trades"
    assert f"{ETH}: blocking checks failed (unique_ids:" in failure.event_specific_data.error.message
    (mat,) = result.asset_materializations_for_node("raw__spot_trades")
    assert mat.metadata["published_symbols"].value == [BTC]
    assert mat.metadata["refused_symbols"].value == [ETH]
    assert mat.metadata["dagster/row_count"].value == expected_rows(BTC, ArchiveKind.TRADES)


def test_a_late_symbol_is_loaded_by_a_run_of_that_file_alone(settings, mirror):
    day = START.replace(day=START.day + DAYS)  # a day only BTC's files have reached
    simulate_mirror(mirror, [BTC], day, 1, seed=SEED, trades_per_day=TRADES_PER_DAY)
    first = run_partition(settings, day, None)
    assert first.success  # ETH's files are not published yet: not a failure
    (mat,) = first.asset_materializations_for_node("raw__spot_trades")
    assert mat.metadata["published_symbols"].value == [BTC]
    assert mat.metadata["not_yet_published_symbols"].value == [ETH]
    before = versions(settings, day)
    assert {s for (_, s), v in before.items() if v} == {BTC}

    simulate_mirror(mirror, [ETH], day, 1, seed=SEED, trades_per_day=TRADES_PER_DAY)  # ETH lands late
    late = run_partition(settings, day, ETH)  # the run the landing sensor asks for: tag binance/symbols=ETH
    assert late.success
    (mat,) = late.asset_materializations_for_node("raw__spot_trades")
    assert mat.metadata["published_symbols"].value == [ETH]
    after = versions(settings, day)
    assert {k: v for k, v in after.items() if k[1] == BTC} == {k: v for k, v in before.items() if k[1] == BTC}
    assert {v for k, v in after.items() if k[1] == ETH} == {1}
    wh = warehouse_of(settings)
    assert wh.partition_row_count("spot_trades", ETH, day) == expected_rows(ETH, ArchiveKind.TRADES, day)


def test_a_replaced_symbol_file_reloads_that_file_only(settings, mirror, tmp_path):
    assert run_partition(settings, START, None).success
    before = versions(settings, START)
    assert set(before.values()) == {1}

    # Binance replaces ETH's klines of the day (other content, new CHECKSUM).
    other = tmp_path / "other"
    simulate_mirror(other, [ETH], START, 1, seed=SEED + 1, trades_per_day=TRADES_PER_DAY // 2)
    klines = ArchiveSpec(symbol=ETH, kind=ArchiveKind.KLINES, day=START)
    for rel in (klines.relative_path, klines.checksum_relative_path):
        shutil.copyfile(other / rel, mirror / rel)
    defs = dg.Definitions.merge(build_ingestion_defs(settings), dg.Definitions(resources=resources_for(settings)))
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            partition_key=day_key(START), tags=scope_tags([ETH]), instance=instance,
            asset_selection=[dg.AssetKey(["raw", "spot_klines_1m"])],
            run_config=symbols_run_config({"spot_klines_1m": [ETH]}),
        )
    assert result.success
    after = versions(settings, START)
    assert after.pop(("spot_klines_1m", ETH)) == 2
    before.pop(("spot_klines_1m", ETH))
    assert after == before  # nothing else was loaded again
    wh = warehouse_of(settings)
    published_sha = (mirror / klines.checksum_relative_path).read_text().split()[0]
    assert wh.loaded_sha256("spot_klines_1m", START, ETH) == published_sha


@pytest.mark.parametrize("symbols", [[BTC], None])
def test_scope_of_a_run(settings, symbols):
    """Run config names the symbols a table loads; without it, the run tag; without that, the universe."""
    result = run_partition(settings, START, symbols[0] if symbols else None)
    assert result.success
    (mat,) = result.asset_materializations_for_node("raw__spot_trades")
    assert mat.metadata["published_symbols"].value == (symbols or SYMBOLS)
