"""Serving API under load: the service on 2 uvicorn workers over a warehouse of 2 symbols x 30 days,
50 concurrent connections (wrk), per endpoint: klines (500 rows, cache cold and warm), aggTrades (500),
latest predictions, exchangeInfo over a universe of 2,000 symbols (raw.symbol_universe: the 2 with data and
1,998 made up, about one in twelve delisted); and the same load against a minimal FastAPI endpoint returning
a constant body of the klines response's size, and one of the exchangeInfo body's size, on 2 workers (the HTTP
stack's own limit on this machine for each size).

    python benchmarks/api.py [--days 30] [--trades-per-day 10000] [--duration 10] [--universe 2000]

Prints a table and `api: p95_ms=.. rps=.. vs_http_limit=.. exchange_info_p95_ms=..` (worst p95 over the
endpoints; warm klines requests/s and its ratio to the constant endpoint's; exchangeInfo's p95). Targets:
p95 < 200 ms everywhere (exchangeInfo at 2,000 symbols included); goal p95 < 50 ms warm and vs_http_limit >= 0.5.
Needs wrk (apt-get install wrk; `make tools`) and Redis on 127.0.0.1:6379.
`--smoke`: 2 days of 1,000 trades, a universe of 200, 1 s per wrk run (checks the path, measures nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from _smoke import parse_args  # noqa: E402  (benchmarks/, the script's folder, is on sys.path)

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
GZIP = {"Accept-Encoding": "gzip"}  # what ccxt (requests) and the Binance SDKs send
START = dt.date(2025, 1, 1)
START_MS = 1735689600000

REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%.3f p95=%.3f p99=%.3f rps=%.1f errors=%d non2xx=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""

COLD_LUA = REPORT_LUA + """
counter = 0
request = function()
  counter = counter + 1
  local start = START_MS + (counter % 40000) * 60000
  return wrk.format("GET", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=500&startTime=" .. start)
end
"""

CONSTANT_APP = '''
import os
from fastapi import FastAPI
from fastapi.responses import Response

BODY = open(os.environ["BENCH_BODY"], "rb").read()
LARGE = open(os.environ["BENCH_BODY_LARGE"], "rb").read()
LARGE_GZIP = open(os.environ["BENCH_BODY_LARGE_GZIP"], "rb").read()


def create_app():
    app = FastAPI()

    @app.get("/constant")
    def constant():
        return Response(content=BODY, media_type="application/json")

    @app.get("/constant-large")
    def constant_large():
        return Response(content=LARGE, media_type="application/json")

    @app.get("/constant-large-gzip")
    def constant_large_gzip():
        return Response(content=LARGE_GZIP, media_type="application/json", headers={"Content-Encoding": "gzip"})

    return app
'''


def build(work: Path, days: int, trades_per_day: int):
    from support.api_warehouse import build_api_warehouse

    t = time.perf_counter()
    wh = build_api_warehouse(work, SYMBOLS, START, days, trades_per_day=trades_per_day)
    print(f"warehouse: {len(SYMBOLS)} symbols x {days} days x {trades_per_day} trades/day built in "
          f"{time.perf_counter() - t:.0f}s ({wh.path.stat().st_size / 1e6:.0f} MB)", flush=True)
    return wh


def write_universe(wh, size: int, days: int) -> None:
    """raw.symbol_universe: the symbols with data, then made-up ones up to `size` (tests/support/universe.py)."""
    from support.universe import Row, synthetic_rows, write_universe

    last = START + dt.timedelta(days=days - 1)
    real = [Row(s, s[:-4], "USDT", "TRADING", START, None, 1e10) for s in SYMBOLS]
    write_universe(wh, synthetic_rows(size, keep=real, last_listed=last))
    print(f"universe: {size} symbols in raw.symbol_universe", flush=True)


def serve(factory: str, port: int, env: dict, pythonpath: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
           "--workers", "2", "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "PYTHONPATH": pythonpath}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live" if "binance_api" in factory
                                   else f"http://127.0.0.1:{port}/constant", timeout=2)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{factory} did not start")


def wrk(url: str, duration: int, script: str, headers: dict | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    args = ["wrk", "-t2", "-c50", f"-d{duration}s", "--timeout", "5s", "-s", fh.name]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--trades-per-day", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--universe", type=int, default=2000, help="symbols in raw.symbol_universe (exchangeInfo)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="the API's Redis (rate limits, cache)")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the warehouse in this folder and reuse it on the next run (default: a temp dir)")
    args = parse_args(parser, days=2, trades_per_day=1_000, duration=1, universe=200)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    from support.network import free_port

    from binance_api.core.security import mint_token
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        if args.work and (work / "built").exists():
            from binance_assets.warehouse import DuckDBWarehouse

            wh = DuckDBWarehouse(work / "warehouse.duckdb")
            print(f"warehouse: reusing {wh.path}", flush=True)
        else:
            work.mkdir(parents=True, exist_ok=True)
            wh = build(work, args.days, args.trades_per_day)
            (work / "built").touch()
        write_universe(wh, args.universe, args.days)
        prefix = f"bench-api-{secrets.token_hex(4)}"
        secret = secrets.token_urlsafe(32)
        env = {"BINANCE_ASSETS_ENV": "local", "BINANCE_ASSETS_DUCKDB_PATH": str(wh.path),
               "BINANCE_ASSETS_DATA_DIR": str(work / "data"), "BINANCE_ASSETS_API_REDIS_PREFIX": prefix,
               "BINANCE_ASSETS_API_WEIGHT_LIMIT_1M": "1000000000", "BINANCE_ASSETS_API_JWT_SECRET": secret,
               "BINANCE_ASSETS_API_REDIS_URL": args.redis_url}
        config = ApiConfig(api=ApiSettings(jwt_secret=secret),
                           core=Settings(env=Environment.LOCAL, duckdb_path=wh.path, data_dir=work / "data"))
        token = mint_token(config, "bench", ["market_data", "predictions"], dt.timedelta(hours=1))
        api_port, const_port = free_port(), free_port()
        api = serve("binance_api.main:create_app", api_port, env, str(ROOT))
        base = f"http://127.0.0.1:{api_port}"
        warm_url = f"{base}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=500&startTime={START_MS + 86_400_000}"
        body = urllib.request.urlopen(warm_url).read()
        agg_day = min(5, args.days - 1)  # day 5, or the last one of a shorter warehouse (--smoke)
        agg_url = f"{base}/api/v3/aggTrades?symbol=BTCUSDT&startTime={START_MS + agg_day * 86_400_000}&limit=1"
        first_id = json.loads(urllib.request.urlopen(agg_url).read())[0]["a"]
        info_url = f"{base}/api/v3/exchangeInfo"
        info = urllib.request.urlopen(info_url).read()
        assert len(json.loads(info)["symbols"]) == args.universe, "exchangeInfo does not list the universe"
        info_gzip = urllib.request.urlopen(urllib.request.Request(info_url, headers=GZIP)).read()
        assert json.loads(gzip.decompress(info_gzip))["symbols"] == json.loads(info)["symbols"]
        body_file, large_file, gzip_file = work / "body.json", work / "exchange_info.json", work / "exchange_info.gz"
        body_file.write_bytes(body)
        large_file.write_bytes(info)
        gzip_file.write_bytes(info_gzip)
        const_dir = work / "constapp"
        const_dir.mkdir(exist_ok=True)
        (const_dir / "constant_app.py").write_text(CONSTANT_APP)
        const = serve("constant_app:create_app", const_port,
                      {"BENCH_BODY": str(body_file), "BENCH_BODY_LARGE": str(large_file),
                       "BENCH_BODY_LARGE_GZIP": str(gzip_file)}, str(const_dir))
        rows = []
        try:
            runs = [
                ("klines 500 (cache cold)", base + "/", COLD_LUA.replace("START_MS", str(START_MS)), None),
                ("klines 500 (cache warm)", warm_url, REPORT_LUA, None),
                ("aggTrades 500", f"{base}/api/v3/aggTrades?symbol=BTCUSDT&fromId={first_id}&limit=500",
                 REPORT_LUA, None),
                ("predictions latest", f"{base}/api/v1/predictions/BTCUSDT/latest", REPORT_LUA,
                 {"Authorization": f"Bearer {token}"}),
                (f"exchangeInfo {args.universe:,} gzip", info_url, REPORT_LUA, GZIP),
                (f"exchangeInfo {args.universe:,} identity", info_url, REPORT_LUA, None),
                ("constant body (HTTP limit)", f"http://127.0.0.1:{const_port}/constant", REPORT_LUA, None),
                ("constant exchangeInfo gzip", f"http://127.0.0.1:{const_port}/constant-large-gzip", REPORT_LUA,
                 None),
                ("constant exchangeInfo identity", f"http://127.0.0.1:{const_port}/constant-large", REPORT_LUA,
                 None),
            ]
            for name, url, script, headers in runs:
                result = wrk(url, args.duration, script, headers)
                rows.append((name, result))
                print(f"  measured {name}", flush=True)
            metrics = urllib.request.urlopen(f"{base}/metrics").read().decode()
        finally:
            for proc in (api, const):
                proc.terminate()
                proc.wait(20)
        print(f"\n{'endpoint':<28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>9} {'errors':>7} {'non-2xx':>8}")
        for name, r in rows:
            print(f"{name:<28} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['rps']:>9.0f} "
                  f"{r['errors']:>7.0f} {r['non2xx']:>8.0f}")
        hits = [ln for ln in metrics.splitlines() if ln.startswith("binance_api_cache_requests_total")]
        print("cache counters:", "; ".join(hits))
        by = dict(rows)
        api_rows = [r for n, r in rows if not n.startswith("constant")]
        worst = max(r["p95"] for r in api_rows)
        warm = by["klines 500 (cache warm)"]
        limit = by["constant body (HTTP limit)"]
        xgz, xid = by[f"exchangeInfo {args.universe:,} gzip"], by[f"exchangeInfo {args.universe:,} identity"]
        xgz_limit, xid_limit = by["constant exchangeInfo gzip"], by["constant exchangeInfo identity"]
        print(f"api: p95_ms={worst:.1f} rps={warm['rps']:.0f} vs_http_limit={warm['rps'] / limit['rps']:.2f} "
              f"exchange_info_p95_ms={max(xgz['p95'], xid['p95']):.1f} "
              f"(warm klines p95_ms={warm['p95']:.1f}, http_limit_rps={limit['rps']:.0f}, "
              f"body_bytes={len(body)}, klines_cold_p95_ms={by['klines 500 (cache cold)']['p95']:.1f}, "
              f"exchange_info_symbols={args.universe}, exchange_info_bytes={len(info)} gzip {len(info_gzip)}, "
              f"exchange_info_gzip_p95_ms={xgz['p95']:.1f} identity {xid['p95']:.1f}, "
              f"exchange_info_vs_http_limit={xgz['rps'] / xgz_limit['rps']:.2f} gzip "
              f"{xid['rps'] / xid_limit['rps']:.2f} identity)")
        import redis

        client = redis.Redis.from_url(args.redis_url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
