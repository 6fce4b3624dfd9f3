"""USD-M symbols checked against `/fapi/v1/exchangeInfo`: BINANCE_ASSETS_UM_SYMBOLS must name TRADING perpetuals.
The pure check on Binance's real response (shared/fixtures) and on edited copies of it; then the universe refresh
(the `raw/symbol_universe` asset, REST source) against the simulator's /fapi/v1/exchangeInfo: an unknown symbol
fails it with an error that names the symbol, a listed one is recorded in its metadata."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from binance_assets.binance.errors import UniverseError
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.um_universe import check_um_symbols

DAY = date(2025, 1, 2)


@pytest.fixture
def real(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "rest" / "exchange_info_um.json").read_text())


def test_the_configured_symbols_must_be_trading_perpetuals(real):
    listed = sorted(s["symbol"] for s in real["symbols"])
    assert check_um_symbols(reversed(listed), real) == listed
    edited = copy.deepcopy(real)
    edited["symbols"][0]["contractType"] = "CURRENT_QUARTER"
    edited["symbols"][1]["status"] = "SETTLING"
    first, second = edited["symbols"][0]["symbol"], edited["symbols"][1]["symbol"]
    with pytest.raises(UniverseError) as caught:
        check_um_symbols([first, second, "NOPEUSDT"], edited)
    why = {"NOPEUSDT": "NOPEUSDT is not a USD-M futures symbol",
           first: f"{first} is a CURRENT_QUARTER contract, not a perpetual",
           second: f"{second} is SETTLING, not TRADING"}
    assert str(caught.value) == (  # every one, by symbol
        f"BINANCE_ASSETS_UM_SYMBOLS: {'; '.join(why[s] for s in sorted(why))} (per /fapi/v1/exchangeInfo, 2 symbols)"
    )
    with pytest.raises(UniverseError, match="expected an object with a 'symbols' list"):
        check_um_symbols(["BTCUSDT"], {"symbols": None})


@pytest.mark.parametrize("um_symbols", [["BTCUSDT"], ["BTCUSDT", "ETHUSDT"]], ids=["listed", "spot-only-symbol"])
def test_the_universe_refresh_checks_the_usd_m_symbols_against_fapi(tmp_path, um_symbols):
    from binance_assets.ingestion.universe_asset import build_universe_asset
    from binance_assets.lib.resources import warehouse_resource
    from binance_assets.settings import Settings

    market = SimMarket(("ETHUSDT",), DAY, DAY, trades_per_day=200, um_symbols=("BTCUSDT",))
    with RestSimulator(market) as sim:
        settings = Settings(data_dir=tmp_path / "data", duckdb_path=tmp_path / "wh.duckdb", start_date=DAY,
                            archive_base_url="https://data.binance.vision", rest_base_url=sim.base_url,
                            rest_um_base_url=sim.base_url, symbols=["ETHUSDT"], um_symbols=um_symbols)
        result = dg.materialize([build_universe_asset(settings)], raise_on_error=False,
                                resources={"warehouse": warehouse_resource(settings)})
        fapi_requests = [r.path for r in sim.requests if r.path.startswith("/fapi/")]
    assert fapi_requests == ["/fapi/v1/exchangeInfo"]
    if um_symbols == ["BTCUSDT"]:
        assert result.success
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["um_symbols"].value == "BTCUSDT"
    else:
        assert not result.success
        [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        message = failure.event_specific_data.error.message
        assert "BINANCE_ASSETS_UM_SYMBOLS: ETHUSDT is not a USD-M futures symbol" in message
