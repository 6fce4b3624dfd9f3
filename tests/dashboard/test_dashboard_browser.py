"""The dashboard in a real browser (Debian's chromium under Playwright) against a live server on a warehouse
built from the simulator: sign-in, each page, the chart's candles and predictions, the broken partition."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.xdist_group("dashboard")
HIT_RATE = re.compile(r"Hit rate over the visible range: \d+\.\d% \(\d+ of \d+ out-of-sample calls")
IN_SAMPLE_ONLY = re.compile(r"Hit rate over the visible range: none out of sample \((\d+) in-sample calls left out")


def sign_in(page, token: str, path: str = "/dashboard/market") -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(path) + r"$"))


def test_unauthenticated_visits_are_sent_to_the_login(page, dash_url, shot):
    for path in ("/dashboard/market", "/dashboard/health", "/dashboard/models"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/dashboard/login\?next=" + re.escape(path.replace("/", "%2F"))))
        expect(page).to_have_title(re.compile("^Sign in"))
    shot(page, "login")
    # a token that is not one of ours is refused with the reason, and nothing is signed in
    page.get_by_label("API token").fill("not-a-jwt")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#login-error")).to_contain_text("not valid")
    r = httpx.get(f"{dash_url}/dashboard/data/market", params={"symbol": "BTCUSDT"})
    assert r.status_code == 401 and r.json()["error"] == "missing_token"
    # only paths inside the dashboard are redirect targets after sign-in
    page.goto("/dashboard/login?next=https://evil.example/")
    assert page.locator("input[name=next]").first.get_attribute("value") == "/dashboard/market"


def test_market_page_draws_every_candle_and_the_predictions(page, token, dash_env, shot, spec):
    # The champion was trained on DAY1: DAY1's calls are in sample (no hit rate, counted beside), DAY2's are not.
    DAY1, DAY2, SYMBOLS, ARTIFACTS = spec.DAY1, spec.DAY2, spec.SYMBOLS, spec.ARTIFACTS
    sign_in(page, token())
    expect(page).to_have_title(re.compile("^Market"))
    charts = page.locator("#charts")
    # The page's own load (day = the latest, DAY2) first: a "Show" before market.js runs would be the form's
    # native GET, a new page load that aborts the first one's script requests.
    expect(charts).not_to_have_attribute("data-render-ms", "")
    # 1 day x 2 symbols: then DAY1 chosen with the date pickers
    page.get_by_label("From (UTC day)").fill(DAY1.isoformat())
    page.get_by_label("To (UTC day)").fill(DAY1.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(charts).not_to_have_attribute("data-render-ms", "")
    expect(page.locator(".chart-card")).to_have_count(2)
    render_ms = int(charts.get_attribute("data-render-ms"))
    for symbol in SYMBOLS:
        card = page.locator(f'.chart-card[data-symbol="{symbol}"]')
        n_bars, n_predictions = spec.counts(dash_env["warehouse"], symbol, DAY1)
        assert n_bars > 1000 and n_predictions > 1000
        assert int(card.get_attribute("data-candles")) == n_bars
        assert int(card.get_attribute("data-predictions")) == n_predictions
        assert int(card.get_attribute("data-vwap")) > 0
        hit = card.locator(".hit-rate")
        expect(hit).to_have_text(IN_SAMPLE_ONLY)
        assert int(IN_SAMPLE_ONLY.match(hit.inner_text()).group(1)) == n_predictions
        expect(card.locator("canvas").first).to_be_visible()
    shot(page, "market-1d-2symbols")

    # a fresh navigation, timed end to end (page load, data, both charts painted): 1 day x 2 symbols
    page.goto(f"/dashboard/market?start={DAY1}&end={DAY1}")
    page.get_by_label("From (UTC day)").fill(DAY1.isoformat())
    page.get_by_label("To (UTC day)").fill(DAY1.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(charts).not_to_have_attribute("data-render-ms", "")
    total_ms = int(charts.get_attribute("data-total-ms"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "market-render.txt").write_text(
        f"market page, 1 day x 2 symbols (1m): data+draw {render_ms} ms, navigation to painted {total_ms} ms\n")
    print(f"dashboard_market_render: days=1 symbols=2 draw_ms={render_ms} navigation_ms={total_ms}")

    # hourly aggregates of the out-of-sample DAY2: 24 candles a day, a hit rate; zoom in by keyboard changes the
    # visible range and the hit rate
    page.get_by_label("From (UTC day)").fill(DAY2.isoformat())
    page.get_by_label("To (UTC day)").fill(DAY2.isoformat())
    page.get_by_label("Interval").select_option("1h")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(charts).not_to_have_attribute("data-render-ms", "")
    card = page.locator('.chart-card[data-symbol="BTCUSDT"]')
    assert card.get_attribute("data-candles") == "24"
    assert card.get_attribute("data-predictions") == "24"
    expect(card.locator(".hit-rate")).to_have_text(HIT_RATE)
    before = card.locator(".hit-rate").inner_text()
    zoom = card.get_by_role("button", name="Zoom in")
    zoom.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(card.locator(".hit-rate")).not_to_have_text(before)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(card.locator("canvas").first).to_be_visible()
    shot(page, "market-narrow")


def test_health_page_shows_the_broken_partition_as_failed(page, shot, spec):
    BROKEN, MISSING, REPLACED, DAY1, DAY2 = spec.BROKEN, spec.MISSING, spec.REPLACED, spec.DAY1, spec.DAY2
    page.goto("/dashboard/health")
    page.get_by_role("button", name="Sign in with the local dev token").click()
    expect(page).to_have_url(re.compile(r"/dashboard/health$"))
    expect(page).to_have_title(re.compile("^Data health"))
    expect(page.locator("#heatmaps")).to_have_attribute("data-ready", "1")

    def cell(table, symbol, day):
        return page.locator(f'button.cell[data-table="raw.{table}"][data-symbol="{symbol}"][data-day="{day}"]')

    broken = cell(*BROKEN)
    expect(broken).to_have_attribute("data-status", "failed")
    expect(broken).to_have_text("✗")  # colour plus a glyph, and the status in its accessible name
    expect(broken).to_have_attribute("aria-label", re.compile(r"failed"))
    expect(cell(*MISSING)).to_have_attribute("data-status", "missing")
    expect(cell(*REPLACED)).to_have_attribute("data-status", "replaced")
    # simulated 2025 days loaded today are history loaded by a backfill, not late; the mart of the missing
    # partition is there
    expect(cell("spot_trades", "BTCUSDT", DAY1.isoformat())).to_have_attribute("data-status", "loaded")
    # feature_drift failed past its error threshold, but it blocks nothing: a warning mark, not a failed one
    symbol, day = spec.DRIFTED
    drifted = page.locator(f'button.cell[data-table="ml.predictions"][data-symbol="{symbol}"][data-day="{day}"]')
    expect(drifted).to_have_attribute("data-status", "warning")
    expect(drifted).to_have_text("!")
    drift_row = page.locator('#failing tr[data-check="feature_drift"]')
    expect(drift_row.locator("td").nth(2)).to_contain_text("warning")
    expect(drift_row.locator("td").nth(2)).to_contain_text("error")
    expect(page.locator('table.heatmap[data-table="marts.fct_bars_1m"]')).to_be_visible()
    failing = page.locator('#failing tr[data-check="unique_ids"]')
    expect(failing).to_contain_text("raw/spot_agg_trades")
    expect(failing.locator("td").nth(3)).to_have_text("1")
    shot(page, "health")

    # drill-down by keyboard: focus the cell, press Enter
    broken.focus()
    page.keyboard.press("Enter")
    detail = page.locator("#detail")
    expect(detail).to_have_attribute("data-status", "failed")
    expect(detail.locator('li[data-check="unique_ids"]')).to_contain_text("FAILED")
    expect(detail.locator('li[data-check="unique_ids"]')).to_contain_text(f"duplicate_ids={spec.DUPLICATES}")
    expect(detail).to_contain_text("sha256")
    expect(detail).to_contain_text("Id range")
    link = detail.locator("#dagster-link")
    assert link.get_attribute("href") == (
        f"{spec.DAGSTER_UI}/assets/raw/{BROKEN[0]}?view=partitions&partition={DAY2.isoformat()}%7C{BROKEN[1]}"
    )
    shot(page, "health-drilldown")
    cell(*MISSING).click()
    expect(detail).to_contain_text("never loaded")

    # a narrow screen: the same page still works (heat maps scroll, details below)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(broken).to_be_visible()
    shot(page, "health-narrow")


def test_models_page_shows_champion_challenger_folds_and_drift(page, token, shot, spec):
    MODEL = spec.MODEL
    sign_in(page, token(), "/dashboard/models")
    expect(page).to_have_title(re.compile("^Models"))
    model = page.locator(f'section.model[data-model="{MODEL}"]')
    expect(model.locator('tr[data-version="v0001"]')).to_have_attribute("data-status", "champion")
    expect(model.locator('tr[data-version="v0002"]')).to_have_attribute("data-status", "challenger")
    expect(model.locator("svg.fold-chart")).to_have_count(2)
    expect(model.locator("svg.fold-chart").first.locator("rect")).to_have_count(6)  # 3 folds x model, baseline
    expect(model.locator("ol.events li")).to_have_count(1)
    expect(model.locator("ol.events li")).to_contain_text("promote v0001")
    drift_rows = page.locator("#drift tbody tr")
    assert drift_rows.count() > 5
    expect(page.locator("#drift thead th")).to_have_count(3)  # feature + 2 days
    shot(page, "models")


def test_a_token_without_admin_sees_why_models_are_hidden(page, token):
    sign_in(page, token(("market_data",)), "/dashboard/models")
    expect(page.get_by_role("alert")).to_contain_text("admin")


def test_artifacts_are_not_committed():
    ignore = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().split()
    assert ".artifacts/" in ignore


def test_data_routes_refuse_bad_input_with_a_reason(dash_url, token, spec):
    cookies = {"bmp_dashboard": token()}
    with httpx.Client(base_url=dash_url, cookies=cookies) as c:
        def get(path, **params):
            return c.get(path, params=params)

        r = get("/dashboard/data/market", symbol="BTCUSDT", start="2025-13-01")
        assert r.status_code == 400 and "YYYY-MM-DD" in r.json()["reason"]
        r = get("/dashboard/data/market", symbol="BTCUSDT", start="2025-01-01", end="2025-01-31")
        assert r.status_code == 400 and "at most 7 days" in r.json()["reason"]
        r = get("/dashboard/data/market", symbol="BTCUSDT", interval="7m")
        assert r.status_code == 400 and "interval must be one of" in r.json()["reason"]
        assert get("/dashboard/data/market", symbol="NOPE").status_code == 404
        r = get("/dashboard/data/partition", table="marts.nope", symbol="BTCUSDT", day=spec.DAY1.isoformat())
        assert r.status_code == 404 and "unknown table" in r.json()["reason"]
        r = get("/dashboard/data/market", symbol="BTCUSDT", start=spec.DAY1.isoformat(), end=spec.DAY1.isoformat())
        body = r.json()
        assert r.status_code == 200 and body["predictions"]["model_versions"] == ["v0001"]
    with httpx.Client(base_url=dash_url, cookies={"bmp_dashboard": token(("market_data",))}) as c:
        r = c.get("/dashboard/data/models")
        assert r.status_code == 403 and "admin" in r.json()["reason"]
        r = c.get("/dashboard/data/market", params={"symbol": "BTCUSDT"})
        assert r.status_code == 200 and r.json()["predictions"]["points"] == []
