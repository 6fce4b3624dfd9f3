"""The partial-parse cache between dbt invocations (binance_assets.transform.parse_cache): one file per
warehouse profile, seeded into a new invocation's target folder, kept only when dbt wrote a new one."""

import os

from binance_assets.transform import parse_cache
from binance_assets.transform.parse_cache import PARTIAL_PARSE_FILE, cache_file, keep, seed

DUCKDB = {"BINANCE_ASSETS_DBT_TARGET": "local", "BINANCE_ASSETS_DUCKDB_PATH": "/data/w.duckdb"}


def test_one_cache_file_per_profile_and_dbt_version(tmp_path):
    same = cache_file(tmp_path, dict(reversed(list(DUCKDB.items()))), "1.11.0")
    assert cache_file(tmp_path, DUCKDB, "1.11.0") == same  # order of the variables does not matter
    assert cache_file(tmp_path, {**DUCKDB, "BINANCE_ASSETS_DUCKDB_PATH": "/other.duckdb"}, "1.11.0") != same
    assert cache_file(tmp_path, DUCKDB, "1.12.0") != same
    assert same.parent == tmp_path / parse_cache.CACHE_FOLDER


def test_nothing_cached_yet_then_the_parse_dbt_wrote_is_kept(tmp_path):
    cached, run = cache_file(tmp_path, DUCKDB, "1"), tmp_path / "run-1"
    seeded = seed(run, cached)
    assert seeded is None and not (run / PARTIAL_PARSE_FILE).exists()
    run.mkdir()
    (run / PARTIAL_PARSE_FILE).write_bytes(b"parsed")  # dbt parsed the project
    assert keep(run, cached, seeded)
    assert cached.read_bytes() == b"parsed"
    assert not [p for p in cached.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_seeded_parse_that_dbt_used_as_is_is_not_copied_back(tmp_path):
    cached = cache_file(tmp_path, DUCKDB, "1")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"warm")
    run = tmp_path / "run-2"
    seeded = seed(run, cached)
    assert (run / PARTIAL_PARSE_FILE).read_bytes() == b"warm"
    assert not keep(run, cached, seeded)
    # dbt re-parsed (a model changed): the new file replaces the cached one.
    (run / PARTIAL_PARSE_FILE).write_bytes(b"re-parsed")
    os.utime(run / PARTIAL_PARSE_FILE, (seeded + 5, seeded + 5))
    assert keep(run, cached, seeded)
    assert cached.read_bytes() == b"re-parsed"


def test_a_read_only_cache_folder_is_no_error(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    cached, run = blocked / "x.msgpack", tmp_path / "run-3"
    run.mkdir()
    (run / PARTIAL_PARSE_FILE).write_bytes(b"parsed")
    assert keep(run, cached, None) is False
