"""aggTrades from the block store (`blocks`): one block per (symbol, `BLOCK_IDS` consecutive aggregate trade
ids) of `raw.spot_agg_trades`, every trade already printed as Binance's object.

An index per symbol (block number, first and last trade time, from one GROUP BY per snapshot version)
says which blocks can hold a trade of a time range; a request walks the blocks from the one of `fromId`
(or the first whose times reach startTime; the last one back when neither is given), keeps the rows
that pass the filters and stops at `limit`: the same rows as the SQL query's `ORDER BY agg_trade_id LIMIT`,
whatever the order of times and ids. More than `MAX_BLOCKS` blocks for one request raises `Fallback`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from binance_api.services.arrow_time import ms_column
from binance_api.services.blocks import BlockStore, Fallback, Printed, arrays_nbytes, body
from binance_assets.binance import rest_bulk
from binance_assets.warehouse.tables import SPOT_AGG_TRADES

BLOCK_IDS = 2048
MAX_BLOCKS = 32
INDEX_SQL = (f"SELECT agg_trade_id // {BLOCK_IDS} AS block, epoch_ms(min(trade_time)) AS t0, "
             f"epoch_ms(max(trade_time)) AS t1 FROM {SPOT_AGG_TRADES.qualified_name} "
             "WHERE symbol = ? GROUP BY 1 ORDER BY 1")
BLOCK_SQL = ("SELECT agg_trade_id, price, qty, first_trade_id, last_trade_id, trade_time, is_buyer_maker, "
             f"is_best_match FROM {SPOT_AGG_TRADES.qualified_name} "
             "WHERE symbol = ? AND agg_trade_id >= ? AND agg_trade_id < ? ORDER BY agg_trade_id")


@dataclass(frozen=True)
class Index:
    block: np.ndarray  # block numbers (agg_trade_id // BLOCK_IDS) that hold a trade, ascending
    t0: np.ndarray  # their first and last trade time (ms, floored like the bodies' "T")
    t1: np.ndarray

    @property
    def nbytes(self) -> int:
        return arrays_nbytes(self.block, self.t0, self.t1)


@dataclass(frozen=True)
class Block:
    ids: np.ndarray
    time_ms: np.ndarray
    rows: Printed

    @property
    def nbytes(self) -> int:
        return arrays_nbytes(self.ids, self.time_ms) + self.rows.nbytes


def _index(store: BlockStore, session, symbol: str) -> Index:
    def load() -> Index:
        t = session.query(INDEX_SQL, [symbol])
        return Index(*(t.column(c).to_numpy().astype(np.int64) for c in ("block", "t0", "t1")))

    return store.get(session.version, "agg_index", symbol, load)


def _block(store: BlockStore, session, symbol: str, number: int) -> Block:
    def load() -> Block:

        t = session.query(BLOCK_SQL, [symbol, number * BLOCK_IDS, (number + 1) * BLOCK_IDS])
        c = t.column
        time_ms = ms_column(c("trade_time"))
        rows = rest_bulk.agg_trades_rows(c("agg_trade_id"), c("price"), c("qty"), c("first_trade_id"),
                                         c("last_trade_id"), time_ms, c("is_buyer_maker"), c("is_best_match"))
        return Block(c("agg_trade_id").to_numpy(), time_ms.to_numpy(), Printed.of(rows))

    return store.get(session.version, "agg", (symbol, number), load)


def agg_trades_json(store: BlockStore, session, symbol: str, from_id: int | None, start_ms: int | None,
                    end_ms: int | None, limit: int) -> bytes:
    """The `/api/v3/aggTrades` body, as `market_data.agg_trades_json` computes it."""
    index = _index(store, session, symbol)
    candidates = np.ones(len(index.block), dtype=bool)
    if from_id is not None:
        candidates &= index.block >= from_id // BLOCK_IDS
    if start_ms is not None:
        candidates &= index.t1 >= start_ms
    if end_ms is not None:
        candidates &= index.t0 <= end_ms
    numbers = index.block[candidates]
    newest_first = from_id is None and start_ms is None  # the most recent (up to endTime when sent alone)
    if newest_first:
        numbers = numbers[::-1]
    blocks: list[list[bytes]] = []  # the parts of each block walked, in walking order
    count = 0
    for n, number in enumerate(numbers):
        if n >= MAX_BLOCKS:
            raise Fallback("too many blocks")
        block = _block(store, session, symbol, int(number))
        keep = np.ones(len(block.ids), dtype=bool)
        if from_id is not None:
            keep &= block.ids >= from_id
        if start_ms is not None:
            keep &= block.time_ms >= start_ms
        if end_ms is not None:
            keep &= block.time_ms <= end_ms
        rows = np.flatnonzero(keep)
        rows = rows[-(limit - count):] if newest_first else rows[:limit - count]
        if len(rows) == 0:
            continue
        count += len(rows)
        # runs of consecutive rows: one slice each (normally the whole selection is one run)
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        blocks.append([block.rows.part(int(run[0]), int(run[-1]) + 1) for run in np.split(rows, breaks)])
        if count >= limit:
            break
    if newest_first:
        blocks.reverse()
    return body([part for parts in blocks for part in parts])
