"""A simulated P2P (C2C) merchant: deterministic orders whose status moves on as time passes.

Every order is drawn from (seed, merchant, day) alone, with its whole future: created, paid
(`BUYER_PAYED`), then `COMPLETED`; or `CANCELLED` by the buyer, `CANCELLED_BY_SYSTEM` (unpaid after
15 minutes), or an appeal (`IN_APPEAL` for a day, then `COMPLETED`). `status_at(now)` is what Binance
would show at `now`, so reading the same window twice, later, sees status changes. Prices sit near
the spot price of the asset in the fiat (`price_of`), with a premium for the merchant's side.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

C2C_STATUSES = (
    "PENDING",
    "TRADING",
    "BUYER_PAYED",
    "DISTRIBUTING",
    "COMPLETED",
    "IN_APPEAL",
    "CANCELLED",
    "CANCELLED_BY_SYSTEM",
)
FINAL_STATUSES = frozenset({"COMPLETED", "CANCELLED", "CANCELLED_BY_SYSTEM"})
FIAT_SYMBOLS = {"EUR": "€", "USD": "$", "TRY": "₺", "BRL": "R$", "GBP": "£", "CNY": "￥", "UAH": "₴"}
FIAT_PER_USDT = {"EUR": 0.92, "USD": 1.0, "TRY": 34.5, "BRL": 5.6, "GBP": 0.79, "CNY": 7.2, "UAH": 41.3}
MINUTE_MS = 60_000
DAY_MS = 86_400_000


@dataclass(frozen=True)
class SimOrder:
    order_number: str
    adv_no: str
    trade_type: str
    asset: str
    fiat: str
    amount: Decimal
    unit_price: Decimal
    create_ms: int
    commission: Decimal
    counterparty: str
    role: str
    pay_method: str
    # the order's future: (status, from ms)
    timeline: tuple[tuple[str, int], ...]

    def status_at(self, now_ms: int) -> str | None:
        current = None
        for status, since in self.timeline:
            if since <= now_ms:
                current = status
        return current

    def row(self, now_ms: int) -> dict:
        """The order as `listUserOrderHistory` returns it at `now_ms` (strings except createTime)."""
        total = (self.amount * self.unit_price).quantize(Decimal("0.00000001"), ROUND_HALF_UP)
        return {
            "orderNumber": self.order_number,
            "advNo": self.adv_no,
            "tradeType": self.trade_type,
            "asset": self.asset,
            "fiat": self.fiat,
            "fiatSymbol": FIAT_SYMBOLS.get(self.fiat, self.fiat),
            "amount": f"{self.amount:.8f}",
            "totalPrice": f"{total:.8f}",
            "unitPrice": f"{self.unit_price:f}",
            "orderStatus": self.status_at(now_ms),
            "createTime": self.create_ms,
            "commission": f"{self.commission:.8f}",
            "counterPartNickName": self.counterparty,
            "payMethodName": self.pay_method,
            "additionalKycVerify": 0,
            "advertisementRole": self.role,
        }


def default_price_of(asset: str, fiat: str, at_ms: int) -> float:
    """A plain reference price when no spot market is simulated for the pair."""
    usdt = {"USDT": 1.0, "BTC": 95_000.0, "ETH": 3_300.0, "BNB": 650.0}.get(asset, 1.0)
    return usdt * FIAT_PER_USDT.get(fiat, 1.0)


@dataclass(frozen=True)
class SimMerchant:
    """`orders_per_day` orders a day (Poisson), trading `assets` against `fiats`."""

    name: str = "sim-merchant"
    seed: int = 7
    orders_per_day: float = 24.0
    assets: tuple[str, ...] = ("USDT", "BTC", "ETH")
    fiats: tuple[str, ...] = ("EUR", "TRY")
    price_of: Callable[[str, str, int], float] = default_price_of

    def orders_of_day(self, day: date) -> list[SimOrder]:
        key = zlib.crc32(self.name.encode())
        d = (day - date(2017, 1, 1)).days
        rng = np.random.default_rng([self.seed, key, d, 77])
        n = int(rng.poisson(self.orders_per_day))
        day_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        creates = np.sort(rng.integers(0, DAY_MS, n))
        orders = []
        for i, offset in enumerate(creates.tolist()):
            create = day_ms + int(offset)
            asset = self.assets[int(rng.choice(len(self.assets), p=_weights(len(self.assets))))]
            fiat = self.fiats[int(rng.integers(len(self.fiats)))]
            side = "BUY" if rng.random() < 0.5 else "SELL"
            role = "MAKER" if rng.random() < 0.8 else "TAKER"
            # merchants buy below and sell above the reference price
            premium = (0.012 if side == "SELL" else -0.008) + rng.normal(0, 0.004)
            price = self.price_of(asset, fiat, create) * (1 + premium)
            unit_price = Decimal(f"{price:.2f}") if price >= 10 else Decimal(f"{price:.4f}")
            notional = float(np.exp(rng.normal(np.log(400), 0.9)))  # in USDT
            amount = Decimal(f"{notional / max(self.price_of(asset, 'USD', create), 1e-9):.8f}").quantize(
                Decimal("0.00000001") if asset != "USDT" else Decimal("0.01")
            )
            if amount <= 0:
                amount = Decimal("1") if asset == "USDT" else Decimal("0.0001")
            commission = (amount * Decimal("0.0010")).quantize(Decimal("0.00000001")) if role == "MAKER" else Decimal(0)
            orders.append(
                SimOrder(
                    order_number=f"2{key % 10**6:06d}{d:05d}{i:06d}{int(rng.integers(10**6)):06d}",
                    adv_no=f"1{key % 10**6:06d}{int(rng.integers(10**12)):012d}",
                    trade_type=side,
                    asset=asset,
                    fiat=fiat,
                    amount=amount,
                    unit_price=unit_price,
                    create_ms=create,
                    commission=commission,
                    counterparty=f"{chr(97 + int(rng.integers(26)))}{chr(97 + int(rng.integers(26)))}***",
                    role=role,
                    pay_method=("BANK", "Wise", "Revolut", "Papara")[int(rng.integers(4))],
                    timeline=_timeline(rng, create),
                )
            )
        return orders

    def history(self, trade_type: str, start_ms: int, end_ms: int, now_ms: int) -> list[dict]:
        """Orders of `trade_type` created in [start_ms, end_ms] and before `now_ms`, newest first."""
        end_ms = min(end_ms, now_ms)
        first = datetime.fromtimestamp(start_ms / 1000, UTC).date()
        last = datetime.fromtimestamp(end_ms / 1000, UTC).date()
        rows = []
        day = first
        while day <= last:
            for order in self.orders_of_day(day):
                if order.trade_type == trade_type and start_ms <= order.create_ms <= end_ms:
                    rows.append(order.row(now_ms))
            day += timedelta(days=1)
        return sorted(rows, key=lambda r: (-r["createTime"], r["orderNumber"]))


def _weights(n: int) -> np.ndarray:
    w = np.array([0.6, 0.25, 0.15][:n] + [0.1] * max(n - 3, 0))
    return w / w.sum()


def _timeline(rng: np.random.Generator, create: int) -> tuple[tuple[str, int], ...]:
    outcome = rng.random()
    paid = create + int(rng.integers(1, 15)) * MINUTE_MS + int(rng.integers(MINUTE_MS))
    if outcome < 0.80:  # paid, then released
        released = paid + int(rng.integers(1, 25)) * MINUTE_MS
        return (("TRADING", create), ("BUYER_PAYED", paid), ("COMPLETED", released))
    if outcome < 0.92:  # the buyer cancels before paying
        return (("TRADING", create), ("CANCELLED", create + int(rng.integers(1, 14)) * MINUTE_MS))
    if outcome < 0.97:  # nobody pays: the system cancels after 15 minutes
        return (("TRADING", create), ("CANCELLED_BY_SYSTEM", create + 15 * MINUTE_MS))
    appeal = paid + 30 * MINUTE_MS
    return (("TRADING", create), ("BUYER_PAYED", paid), ("IN_APPEAL", appeal), ("COMPLETED", appeal + DAY_MS))
