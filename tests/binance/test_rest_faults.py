"""The fault matrix: the REST client against the simulator's real HTTP server, no mocks.

429 waits Retry-After then resumes; 418 stops at once; -1021 resyncs the clock and retries once;
5xx is retried with backoff; a bad signature, a bad key or a changed shape is a clear error.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

import pytest
import requests
from support.rest import FakeClock

from binance_assets.binance.c2c_sim import SimMerchant
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_errors import (
    BinanceApiError,
    IpBanned,
    ResponseShapeError,
    ServerError,
)
from binance_assets.binance.rest_signing import Ed25519Signer, Ed25519Verifier, HmacSigner, new_ed25519_pem
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import C2C_PATH, MerchantAccount, RestSimulator

SYMBOL = "BTCUSDT"
DAY = date(2025, 1, 1)
NOW = datetime(2025, 1, 3, 12, 0).timestamp()
HMAC_KEY, HMAC_SECRET = "hmac-key-abc", "s3cr3t-hmac-value-never-logged"
ED_KEY = "ed25519-key-xyz"
ED_PEM = new_ed25519_pem()


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(scope="module")
def sim(clock):
    market = SimMarket((SYMBOL,), date(2024, 12, 31), DAY, trades_per_day=2000)
    merchant = SimMerchant(orders_per_day=6)
    accounts = {
        HMAC_KEY: MerchantAccount(HmacSigner(HMAC_SECRET), merchant),
        ED_KEY: MerchantAccount(Ed25519Verifier.from_pem(Ed25519Signer.from_pem(ED_PEM).public_pem()), merchant),
    }
    with RestSimulator(market, accounts, clock=clock) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(sim, clock):
    sim.reset()
    sim.clock_skew_ms = 0
    sim.weight_limit = 6000
    clock.now, clock.sleeps[:] = NOW + 5, []  # well inside a minute
    yield


def client(sim, clock, **kwargs) -> BinanceRestClient:
    kwargs.setdefault("sleep", clock.sleep)
    return BinanceRestClient(sim.base_url, clock=clock, **kwargs)


def statuses(sim) -> list[tuple[str, int]]:
    return [(r.path, r.status) for r in sim.requests]


def c2c_window(clock) -> tuple[int, int]:
    end = int(clock.now * 1000)
    return end - 3 * 86_400_000, end


def test_429_burst_waits_retry_after_then_resumes(sim, clock):
    expected = client(sim, clock).agg_trades(SYMBOL, from_id=None, limit=5)
    sim.reset()
    sim.inject("429", times=3, path="/api/v3/aggTrades", retry_after=7)
    c = client(sim, clock)
    assert c.agg_trades(SYMBOL, limit=5) == expected
    assert clock.sleeps == [7, 7, 7]  # exactly Retry-After, no more, no less
    assert statuses(sim) == [("/api/v3/aggTrades", 429)] * 3 + [("/api/v3/aggTrades", 200)]
    assert c.stats.retries == 3


def test_418_stops_at_once_and_says_so(sim, clock):
    sim.inject("418", times=5, retry_after=300)
    c = client(sim, clock)
    with pytest.raises(IpBanned, match="banned for 300 s") as exc:
        c.klines(SYMBOL, "1m", limit=3)
    assert exc.value.retry_after == 300 and exc.value.code == -1003
    assert len(sim.requests) == 1 and clock.sleeps == []  # never hammers


def test_simulator_bans_a_client_that_ignores_429(sim, clock):
    sim.weight_limit = 10
    url = f"{sim.base_url}/api/v3/klines?symbol={SYMBOL}&interval=1m&limit=1"
    codes = [requests.get(url, timeout=5).status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and codes[5] == 429 and codes[6:] == [418, 418]
    with pytest.raises(IpBanned):
        client(sim, clock).klines(SYMBOL, "1m", limit=1)


def test_client_keeps_under_its_weight_share(sim, clock):
    sim.weight_limit = 100
    c = client(sim, clock, weight_limit=100, weight_share=0.5)
    for _ in range(60):  # 120 weight: more than one minute's whole budget
        c.klines(SYMBOL, "1m", limit=1)
    assert all(status == 200 for _, status in statuses(sim))
    assert c.stats.max_used_weight <= 50
    assert len(clock.sleeps) >= 2 and all(s <= 60.1 for s in clock.sleeps)


def test_a_client_that_overruns_the_budget_waits_on_429_and_is_not_banned(sim, clock):
    sim.weight_limit = 20
    c = client(sim, clock, weight_limit=10**6)  # it does not know the real budget
    for _ in range(15):
        c.klines(SYMBOL, "1m", limit=1)
    codes = [status for _, status in statuses(sim)]
    assert 429 in codes and 418 not in codes
    assert codes.count(200) == 15


def test_clock_skew_resyncs_from_server_time_and_retries_once(sim, clock):
    sim.clock_skew_ms = 90_000  # Binance's clock is 90 s ahead of ours
    c = client(sim, clock, api_key=HMAC_KEY, signer=HmacSigner(HMAC_SECRET))
    rows, total = c.c2c_order_history("BUY", *c2c_window(clock))
    assert total == len(rows) > 0
    assert statuses(sim) == [(C2C_PATH, 400), ("/api/v3/time", 200), (C2C_PATH, 200)]
    assert c.stats.clock_resyncs == 1 and abs(c.clock_offset_ms - 90_000) < 1000


def test_clock_skew_that_persists_is_reported_with_binance_code(sim, clock):
    c = client(sim, clock, api_key=HMAC_KEY, signer=HmacSigner(HMAC_SECRET))
    c.sync_clock = lambda: 0.0  # a resync that does not help (e.g. a broken time source)
    sim.clock_skew_ms = -90_000
    with pytest.raises(BinanceApiError) as exc:
        c.c2c_order_history("SELL", *c2c_window(clock))
    assert exc.value.code == -1021 and "recvWindow" in exc.value.msg
    assert [s for _, s in statuses(sim)] == [400, 400]  # retried exactly once


def test_5xx_is_retried_with_backoff(sim, clock):
    sim.inject("5xx", times=2, status=503)
    c = client(sim, clock)
    assert c.server_time() > 0
    assert [s for _, s in statuses(sim)] == [503, 503, 200]
    assert len(clock.sleeps) == 2 and all(0 <= s <= 30 for s in clock.sleeps)


def test_5xx_that_persists_gives_up_after_max_attempts(sim, clock):
    sim.inject("5xx", times=10, status=502)
    with pytest.raises(ServerError, match="HTTP 502"):
        client(sim, clock, max_attempts=4).server_time()
    assert len(sim.requests) == 4


@pytest.mark.parametrize(
    "api_key,signer,code",
    [
        (HMAC_KEY, HmacSigner("the-wrong-secret"), -1022),
        (ED_KEY, Ed25519Signer.from_pem(new_ed25519_pem()), -1022),  # another Ed25519 key
        (ED_KEY, HmacSigner(HMAC_SECRET), -1022),  # an HMAC signature for an Ed25519 key
        ("unknown-key", HmacSigner(HMAC_SECRET), -2015),
    ],
)
def test_bad_signature_or_key_is_refused_and_not_retried(sim, clock, api_key, signer, code):
    with pytest.raises(BinanceApiError) as exc:
        client(sim, clock, api_key=api_key, signer=signer).c2c_order_history("BUY", *c2c_window(clock))
    assert exc.value.code == code
    assert len(sim.requests) == 1


def test_ed25519_and_hmac_keys_both_sign_correctly(sim, clock):
    window = c2c_window(clock)
    hmac_rows = client(sim, clock, api_key=HMAC_KEY, signer=HmacSigner(HMAC_SECRET)).c2c_order_history("SELL", *window)
    ed_rows = client(sim, clock, api_key=ED_KEY, signer=Ed25519Signer.from_pem(ED_PEM)).c2c_order_history(
        "SELL", *window
    )
    assert hmac_rows == ed_rows and hmac_rows[0]


@pytest.mark.parametrize("path", ["/api/v3/aggTrades", C2C_PATH])
def test_changed_response_shape_is_a_clear_error(sim, clock, path):
    sim.inject("shape", path=path)
    c = client(sim, clock, api_key=HMAC_KEY, signer=HmacSigner(HMAC_SECRET))
    with pytest.raises(ResponseShapeError, match=r"orderNumber|expected a list"):
        if path == C2C_PATH:
            c.c2c_order_history("BUY", *c2c_window(clock))
        else:
            c.agg_trades(SYMBOL, limit=3)


def test_binance_error_code_and_message_surface(sim, clock):
    with pytest.raises(BinanceApiError, match=r"Binance code -1121: Invalid symbol\.") as exc:
        client(sim, clock).klines("NOPEUSDT", "1m")
    assert exc.value.status == 400 and len(sim.requests) == 1


def test_secrets_never_reach_logs_errors_or_repr(sim, clock, caplog):
    caplog.set_level(logging.DEBUG)
    sim.inject("5xx", path=C2C_PATH)
    c = client(sim, clock, api_key=HMAC_KEY, signer=HmacSigner(HMAC_SECRET))
    c.c2c_order_history("BUY", *c2c_window(clock))
    with pytest.raises(BinanceApiError) as exc:
        client(sim, clock, api_key=HMAC_KEY, signer=HmacSigner("wrong")).c2c_order_history("BUY", *c2c_window(clock))
    visible = caplog.text + str(exc.value) + repr(c) + repr(HmacSigner(HMAC_SECRET)) + repr(c.stats)
    assert "retry" in caplog.text.lower()  # something was logged
    assert "signature=<redacted>" in caplog.text  # urllib3 logs the request line, minus the signature
    assert not re.search(r"signature=[0-9a-f]{64}", visible)
    for secret in (HMAC_SECRET, HMAC_KEY):
        assert secret not in visible
