"""A day's archives land one at a time, in each of the six orders, klines a day late, all three at once, and
two symbols of a day apart: the landing sensor and the automation conditions (ticked in process, as
dagster-daemon would) always end with that day's bars reconciled, its features and its predictions, and no
failed run on the way.

Two symbols apart: one symbol complete, then the other's trades alone, then the rest of its files. A symbol
whose klines have not landed is not built (its bars would fail the reconciliation with the archive's
klines), a symbol is built once all its files are there, and every symbol ends with bars, features and
predictions.

One instance and one history for every scenario: a day of both symbols (one MAIN_JOB run; as many feature
rows as two days of one symbol) and champions trained on it. Each scenario lands on its own day, in date
order, so the scenarios also follow each other as real days would; they land SYMBOL only, but for OTHER's
files on the two symbols' day. Expected counts from the simulator's rows (a day is 1,440 minutes)."""

from __future__ import annotations

import datetime as dt
import itertools

import dagster as dg
import pytest
from support.ingestion import make_settings

from binance_assets.automation.local_daemon import QUIET, LocalDaemon
from binance_assets.automation.sensor_support import LANDING_SENSOR
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.definitions import MAIN_JOB, build_defs
from binance_assets.lib.partitions import SYMBOLS_TAG
from binance_assets.ml.definitions import TRAIN_JOB, build_ml_defs

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.e2e]

SYMBOL = "ETHUSDT"
OTHER = "BTCUSDT"  # in the history, then only on APART_DAY, landing apart from SYMBOL
START = dt.date(2025, 1, 1)
HISTORY = 1  # day: its champions lead their baselines by ~0.11, the promotion margin is 0.02
TRADES = 2_000
SEED = 21
KINDS = (ArchiveKind.TRADES, ArchiveKind.AGG_TRADES, ArchiveKind.KLINES)
# All six orders: each file completes the day twice (klines last: bars wait for the klines; trades last:
# for the trades; aggTrades last: bars are built before it), after each of the other two first.
ORDERS = list(itertools.permutations(KINDS))
assert len(set(ORDERS)) == 6
ORDER_DAYS = {order: START + dt.timedelta(days=HISTORY + i) for i, order in enumerate(ORDERS)}
LATE_DAY = START + dt.timedelta(days=HISTORY + len(ORDERS))  # its klines land after the next day's files
NEXT_DAY = LATE_DAY + dt.timedelta(days=1)
AT_ONCE_DAY = NEXT_DAY + dt.timedelta(days=1)  # its three archives land together
APART_DAY = AT_ONCE_DAY + dt.timedelta(days=1)  # SYMBOL lands whole, OTHER in two goes


class Platform:
    """The mirror, both code locations' in-process daemons and the landing sensor's cursor."""

    def __init__(self, mirror, market: LocalDaemon, ml: LocalDaemon, cursor: str | None) -> None:
        self.mirror, self.market, self.ml, self.cursor = mirror, market, ml, cursor
        self.warehouse = market.defs.resources["warehouse"].get()
        self.checked: set[str] = set()

    def land(self, day: dt.date, *kinds: ArchiveKind, symbol: str = SYMBOL) -> None:
        """Write `symbol`'s archives of `kinds` (zip, then its .CHECKSUM) into the mirror, tick the sensor: one
        run for that day and symbol; run it, then what the automation asks."""
        simulate_mirror(self.mirror, [symbol], day, 1, seed=SEED, trades_per_day=TRADES, kinds=kinds, signal=1.0)
        requests, self.cursor = self.market.tick_sensor(LANDING_SENSOR, self.cursor)
        assert [(r.partition_key, r.tags[SYMBOLS_TAG]) for r in requests] == [(day.isoformat(), symbol)], (
            day, kinds, symbol)
        self.market.run_requests(requests)
        self.settle()

    def settle(self, rounds: int = 8) -> None:
        """Tick both locations' automation until nothing more is requested."""
        for _ in range(rounds):
            launched = [run for daemon in (self.market, self.ml) for run in daemon.tick_automation()]
            if not launched:
                return
        raise AssertionError(f"automation still requesting runs after {rounds} rounds")

    def failed_runs(self) -> list[str]:
        """Failures of the runs made since the last call (each scenario reports its own)."""
        new = [run for run in self.market.runs + self.ml.runs if run.run_id not in self.checked]
        self.checked.update(r.run_id for r in new)
        return [
            f"{run.run_id}: {[e.event_specific_data.error.message[:600] for e in run.all_events if e.is_failure]}"
            for run in new
            if not run.success
        ]

    def rows(self, table: str, day: dt.date) -> int:
        """SYMBOL's rows of `day` in `table`."""
        if not self.warehouse.table_exists(table):
            return 0
        found = self.warehouse.query(f"select count(*) as n from {table} where symbol = ? and trade_date = ?",
                                     [SYMBOL, day])
        return int(found["n"].iloc[0])

    def symbols(self, table: str, day: dt.date) -> set[str]:
        """The symbols with rows of `day` in `table`."""
        if not self.warehouse.table_exists(table):
            return set()
        return set(self.warehouse.query(f"select distinct symbol from {table} where trade_date = ?", [day])["symbol"])


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("arrival")
    mirror = root / "mirror"
    simulate_mirror(mirror, [OTHER, SYMBOL], START, HISTORY, seed=SEED, trades_per_day=TRADES, signal=1.0)
    settings = make_settings(root, mirror).model_copy(
        update={"symbols": [OTHER, SYMBOL], "model_registry_url": str(root / "models")}
    )
    with dg.instance_for_test() as instance:
        market, ml = LocalDaemon(build_defs(settings), instance), LocalDaemon(build_ml_defs(settings), instance)
        main_job = market.defs.resolve_job_def(MAIN_JOB)
        for offset in range(HISTORY):
            key = (START + dt.timedelta(days=offset)).isoformat()  # the whole day, every symbol
            assert main_job.execute_in_process(instance=instance, partition_key=key, run_config=QUIET).success
        train = ml.defs.resolve_job_def(TRAIN_JOB).execute_in_process(
            instance=instance,
            run_config={**QUIET, "ops": {f"models__{name}": {"config": {"train_days": HISTORY, "n_splits": 3}}
                                         for name in ("price_direction_classifier", "forward_return_regressor")}},
        )
        assert train.success
        # Switched on over the loaded history (no cursor), the sensor requests nothing: raw.load_log holds every file.
        requests, cursor = market.tick_sensor(LANDING_SENSOR, None)
        assert requests == []
        for daemon in (market, ml):
            daemon.tick_automation()  # the daemon's first evaluation takes the present state as handled
        yield Platform(mirror, market, ml, cursor)


@pytest.mark.parametrize("order", ORDERS, ids=lambda order: "-".join(kind.value for kind in order))
def test_a_day_converges_whatever_order_its_files_land_in(platform, order):
    day = ORDER_DAYS[order]
    landed = set()
    for kind in order:
        platform.land(day, kind)
        landed.add(kind)
        assert platform.failed_runs() == []
        both_sides = {ArchiveKind.TRADES, ArchiveKind.KLINES} <= landed
        # Bars (and all that follows) wait until both the trades and the klines of the day are loaded.
        assert platform.rows("marts.fct_bars_1m", day) == (1440 if both_sides else 0), (kind, landed)
    assert platform.rows("marts.fct_bars_1m", day) == 1440
    assert platform.rows("marts.fct_symbol_daily", day) == 1
    assert platform.rows("features.minute_features", day) == 1440
    assert platform.rows("ml.predictions", day) > 0


def test_klines_a_day_late_rerun_what_waited_for_them(platform):
    platform.land(LATE_DAY, ArchiveKind.TRADES)
    platform.land(LATE_DAY, ArchiveKind.AGG_TRADES)
    for kind in KINDS:
        platform.land(NEXT_DAY, kind)
    assert platform.failed_runs() == []
    assert platform.rows("marts.fct_bars_1m", LATE_DAY) == 0
    assert platform.rows("ml.predictions", NEXT_DAY) > 0

    platform.land(LATE_DAY, ArchiveKind.KLINES)
    assert platform.failed_runs() == []
    assert platform.rows("marts.fct_bars_1m", LATE_DAY) == 1440
    assert platform.rows("features.minute_features", LATE_DAY) == 1440
    assert platform.rows("ml.predictions", LATE_DAY) > 0
    # Settled: nothing runs twice.
    assert platform.market.tick_automation() == [] and platform.ml.tick_automation() == []


def test_a_days_three_archives_landing_at_once_make_one_run_through_to_predictions(platform):
    simulate_mirror(platform.mirror, [SYMBOL], AT_ONCE_DAY, 1, seed=SEED, trades_per_day=TRADES, signal=1.0)
    requests, platform.cursor = platform.market.tick_sensor(LANDING_SENSOR, platform.cursor)
    (request,) = requests  # one run for the day's three archives and, in the same run, what is downstream
    selected = {key.to_user_string() for key in request.asset_selection}
    assert {"raw/spot_trades", "raw/spot_agg_trades", "raw/spot_klines_1m"} <= selected
    assert {"marts/fct_bars_1m", "features/minute_features"} <= selected
    assert (request.partition_key, request.tags[SYMBOLS_TAG]) == (AT_ONCE_DAY.isoformat(), SYMBOL)
    assert all(run.success for run in platform.market.run_requests(requests))
    assert platform.market.tick_sensor(LANDING_SENSOR, platform.cursor)[0] == []  # nothing repeated
    platform.settle()
    assert platform.failed_runs() == []
    assert platform.rows("marts.fct_bars_1m", AT_ONCE_DAY) == 1440
    assert platform.rows("features.minute_features", AT_ONCE_DAY) == 1440
    assert platform.rows("ml.predictions", AT_ONCE_DAY) == 2 * 1440  # both champions, every minute
    # Settled: another round of ticks requests nothing (no run twice).
    assert platform.market.tick_automation() == [] and platform.ml.tick_automation() == []


def test_a_symbol_is_built_once_all_its_files_landed_and_no_run_fails(platform):
    platform.land(APART_DAY, *KINDS)
    assert platform.failed_runs() == []
    assert platform.symbols("marts.fct_bars_1m", APART_DAY) == {SYMBOL}
    platform.land(APART_DAY, ArchiveKind.TRADES, symbol=OTHER)  # the day's raw partition updates; no OTHER klines
    assert platform.failed_runs() == []
    assert platform.symbols("marts.fct_bars_1m", APART_DAY) == {SYMBOL}
    platform.land(APART_DAY, ArchiveKind.AGG_TRADES, ArchiveKind.KLINES, symbol=OTHER)
    assert platform.failed_runs() == []
    for table in ("marts.fct_bars_1m", "features.minute_features", "ml.predictions"):
        assert platform.symbols(table, APART_DAY) == {OTHER, SYMBOL}, table
