"""pandera model of `raw_merchant.c2c_orders`: known statuses, trade types and fiats, unique order numbers,
and amount x unit price = total price within the rounding of the printed total."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd
import pandera.pandas as pa

from binance_assets.binance.c2c_sim import C2C_STATUSES

# Fiats Binance P2P trades (ISO 4217); an unknown one is more likely a parsing error than a new market.
KNOWN_FIATS = frozenset(
    [
        "AED",
        "ARS",
        "AUD",
        "AZN",
        "BDT",
        "BGN",
        "BHD",
        "BOB",
        "BRL",
        "BYN",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "EUR",
        "GBP",
        "GEL",
        "GHS",
        "GTQ",
        "HKD",
        "HNL",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KRW",
        "KWD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "MAD",
        "MDL",
        "MMK",
        "MNT",
        "MXN",
        "MYR",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TJS",
        "TND",
        "TRY",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "XAF",
        "XOF",
        "ZAR",
        "ZMW",
    ]
)


def _dec(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def total_matches(frame: pd.DataFrame) -> pd.Series:
    """|amount x unitPrice - totalPrice| within half a unit of the total's last printed decimal (>= 0.01)."""
    ok = []
    for amount, unit, total in zip(
        frame["amount_text"], frame["unit_price_text"], frame["total_price_text"], strict=True
    ):
        a, u, t = _dec(amount), _dec(unit), _dec(total)
        if a is None or u is None or t is None:
            ok.append(False)
            continue
        exponent = t.normalize().as_tuple().exponent
        tolerance = max(Decimal("0.01"), Decimal(5) * Decimal(10) ** (min(int(exponent), 0) - 1))
        ok.append(abs(a * u - t) <= tolerance)
    return pd.Series(ok, index=frame.index)


C2C_ORDERS_SCHEMA = pa.DataFrameSchema(
    {
        "symbol": pa.Column(str, nullable=False),
        "trade_date": pa.Column(object, nullable=False),
        "order_number": pa.Column(str, pa.Check.str_matches(r"^\d{6,32}$"), unique=True, nullable=False),
        "trade_type": pa.Column(str, pa.Check.isin(["BUY", "SELL"])),
        "asset": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{2,10}$")),
        "fiat": pa.Column(str, pa.Check.isin(sorted(KNOWN_FIATS))),
        "order_status": pa.Column(str, pa.Check.isin(list(C2C_STATUSES))),
        "amount": pa.Column(float, pa.Check.gt(0)),
        "unit_price": pa.Column(float, pa.Check.gt(0)),
        "total_price": pa.Column(float, pa.Check.gt(0)),
        "commission": pa.Column(float, pa.Check.ge(0), nullable=True),
        "create_time": pa.Column("datetime64[us]", nullable=False),
    },
    checks=[
        pa.Check(total_matches, name="amount_x_unit_price_is_total_price", error="amount x unitPrice != totalPrice")
    ],
    strict=False,
    coerce=False,
)


def validate_orders(frame: pd.DataFrame) -> pd.DataFrame:
    """Raises `pandera.errors.SchemaErrors` (all failures at once) on bad rows."""
    return C2C_ORDERS_SCHEMA.validate(frame, lazy=True)
