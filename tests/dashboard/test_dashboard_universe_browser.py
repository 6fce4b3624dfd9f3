"""The dashboard over a universe of 200 symbols in a real browser (Debian's chromium under Playwright): the Data
health heat maps and the Market page's symbol list load one page of symbols, the filters narrow them, the pager
moves through them. The expected symbols, pages and statuses come from the universe's rows (conftest
`universe_rows`) and the fixture's known defects; how long a page takes is measured in benchmarks/dashboard.py,
not asserted here."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.xdist_group("dashboard")
HEALTH_PAGE, MARKET_PAGE = 25, 25


def _volume_order(rows):
    return sorted(rows, key=lambda r: (-(r.quote_volume if r.quote_volume is not None else -1.0), r.symbol))


def _listed_in(r, days) -> bool:
    return any(r.first_day <= d and (r.last_day is None or d <= r.last_day) for d in days)


def _shown(page, table: str = "raw.spot_trades") -> list[str]:
    return page.locator(f'table.heatmap[data-table="{table}"] tbody tr').evaluate_all(
        "rows => rows.map(r => r.dataset.symbol)")


def _wait(page, selector: str) -> None:
    expect(page.locator(selector)).to_have_attribute("data-ready", "1")


def _sign_in(page, path: str) -> None:
    page.goto(path)
    page.get_by_role("button", name="Sign in with the local dev token").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_health_pages_filters_and_shows_listings(universe_page, universe_rows, spec, shot):
    page, rows = universe_page, universe_rows
    days = [spec.DAY1, spec.DAY2]
    _sign_in(page, "/dashboard/health")
    _wait(page, "#heatmaps")
    pager = page.locator("#symbol-page")
    expect(pager).to_have_attribute("data-matching", str(len(rows)))
    expect(pager).to_have_attribute("data-pages", str(math.ceil(len(rows) / HEALTH_PAGE)))
    expect(page.locator('table.heatmap[data-table="raw.spot_trades"] tbody tr')).to_have_count(HEALTH_PAGE)
    # Problems first: every symbol listed on one of the days has a problem (the made-up ones have no data, the two
    # real ones have the fixture's defects); one listed on neither has none and comes after all of them.
    troubled = {r.symbol for r in rows if _listed_in(r, days)}
    quiet = {r.symbol for r in rows} - troubled
    assert len(troubled) >= HEALTH_PAGE and quiet, (len(troubled), len(quiet))
    first = _shown(page)
    assert set(first) <= troubled
    counts = page.locator('table.heatmap[data-table="raw.spot_trades"] tbody th').evaluate_all(
        "ths => ths.map(th => Number(th.dataset.problems))")
    assert counts == sorted(counts, reverse=True) and min(counts) > 0
    shot(page, "health-universe")

    # The last page holds the symbols with no problem; their days are "not listed", not "missing".
    last = math.ceil(len(rows) / HEALTH_PAGE)
    for _ in range(last - 1):
        before = pager.get_attribute("data-page")
        page.get_by_role("button", name="Next page").click()
        expect(pager).not_to_have_attribute("data-page", before)
        _wait(page, "#heatmaps")
    expect(pager).to_have_attribute("data-page", str(last))
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    assert quiet <= set(_shown(page))
    one = sorted(quiet)[0]
    cells = page.locator(f'button.cell[data-table="raw.spot_trades"][data-symbol="{one}"]')
    expect(cells).to_have_count(len(days))
    assert set(cells.evaluate_all("bs => bs.map(b => b.dataset.status)")) == {"unlisted"}

    # Filters: a quote asset, then delisted only, then a text: counts from the rows; a filter starts at page 1.
    page.get_by_label("Quote asset").select_option("BTC")
    btc = [r for r in rows if r.quote_asset == "BTC"]
    expect(pager).to_have_attribute("data-matching", str(len(btc)))
    expect(pager).to_have_attribute("data-page", "1")
    _wait(page, "#heatmaps")
    assert set(_shown(page)) <= {r.symbol for r in btc}
    page.get_by_label("Symbol status").select_option("BREAK")
    delisted = [r.symbol for r in btc if r.status == "BREAK"]
    expect(pager).to_have_attribute("data-matching", str(len(delisted)))
    _wait(page, "#heatmaps")
    assert sorted(_shown(page)) == sorted(delisted)
    page.get_by_label("Quote asset").select_option("")
    page.get_by_label("Symbol status").select_option("")
    page.get_by_label("Search symbols").fill("btcusdt")
    expect(pager).to_have_attribute("data-matching", "1")
    _wait(page, "#heatmaps")
    assert _shown(page) == ["BTCUSDT"]
    table, symbol, day = spec.BROKEN
    expect(page.locator(f'button.cell[data-table="raw.{table}"][data-symbol="{symbol}"][data-day="{day}"]')
           ).to_have_attribute("data-status", "failed")

    # By name, page by page: the rows' symbols in order, a page at a time, forward and back.
    page.get_by_label("Search symbols").fill("")
    page.get_by_label("Sort by").select_option("symbol")
    names = sorted(r.symbol for r in rows)
    expect(pager).to_have_attribute("data-matching", str(len(rows)))
    _wait(page, "#heatmaps")
    assert _shown(page) == names[:HEALTH_PAGE]
    page.get_by_role("button", name="Next page").click()
    expect(pager).to_have_attribute("data-page", "2")
    _wait(page, "#heatmaps")
    assert _shown(page) == names[HEALTH_PAGE:2 * HEALTH_PAGE]
    page.get_by_role("button", name="Previous page").click()
    expect(pager).to_have_attribute("data-page", "1")
    _wait(page, "#heatmaps")
    assert _shown(page) == names[:HEALTH_PAGE]


def _listed_symbols(page) -> list[str]:
    return page.locator("#symbol-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.symbol)")


def test_market_lists_pages_and_charts_the_universe(universe_page, universe_rows, spec, shot):
    page, rows = universe_page, universe_rows
    _sign_in(page, "/dashboard/market")
    _wait(page, "#symbol-list")
    charts, pager = page.locator("#charts"), page.locator("#symbol-page")
    by_volume = [r.symbol for r in _volume_order(rows)]
    assert _listed_symbols(page) == by_volume[:MARKET_PAGE]
    expect(pager).to_have_attribute("data-pages", str(math.ceil(len(rows) / MARKET_PAGE)))
    # The two symbols with data (the largest volumes) are charted on arrival, their boxes ticked.
    expect(charts).not_to_have_attribute("data-render-ms", "")
    expect(page.locator(".chart-card")).to_have_count(2)
    for symbol in spec.SYMBOLS:
        expect(page.get_by_label(f"Chart {symbol}")).to_be_checked()
    shot(page, "market-universe")

    page.get_by_role("button", name="Next page").click()
    expect(pager).to_have_attribute("data-page", "2")
    _wait(page, "#symbol-list")
    assert _listed_symbols(page) == by_volume[MARKET_PAGE:2 * MARKET_PAGE]

    page.get_by_label("Search symbols").fill("eth")
    with_eth = [s for s in by_volume if "ETH" in s]
    expect(pager).to_have_attribute("data-matching", str(len(with_eth)))
    _wait(page, "#symbol-list")
    assert _listed_symbols(page) == with_eth[:MARKET_PAGE]
    expect(page.get_by_label("Chart ETHUSDT")).to_be_checked()  # still charted: ticks are kept across pages

    # A listed symbol without data: ticked, it gets a chart with no candles.
    page.get_by_label("Search symbols").fill("")
    page.get_by_label("Quote asset").select_option("TRY")
    try_symbols = [s for s in by_volume if s.endswith("TRY")]
    expect(pager).to_have_attribute("data-matching", str(len(try_symbols)))
    _wait(page, "#symbol-list")
    assert _listed_symbols(page) == try_symbols[:MARKET_PAGE]
    page.get_by_label(f"Chart {try_symbols[0]}").check()
    expect(page.locator(".chart-card")).to_have_count(3)
    expect(page.locator(f'.chart-card[data-symbol="{try_symbols[0]}"]')).to_have_attribute("data-candles", "0")
