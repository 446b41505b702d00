#!/usr/bin/python3
"""pandas peer for bench/summary.py: the work of `rebuy summary`, done the way a pandas user would.

usage: /usr/bin/python3 bench/peers/summary_pandas.py INPUT.csv OUTPUT.json

INPUT is `rebuy gen` output (customer_id, order_id, order_date, amount; one row per order).
It computes
  - per customer: orders (row count), revenue (sum, in cents), first and last order time,
    purchase days (distinct calendar days);
  - the totals: customers, orders, revenue, repeat customers (>= 2 orders), customers with
    >= 2 purchase days, average order value;
  - per calendar month: active customers (distinct), new customers (first purchase in the
    month), orders, revenue;
and writes them as JSON, with its own phase timings, for the harness to check against rebuy.
Run it with Debian's /usr/bin/python3 (python3-pandas belongs to that interpreter).
"""
import json
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    path, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    import pandas as pd

    t1 = time.perf_counter()
    df = pd.read_csv(
        path,
        dtype={"customer_id": "int64", "order_id": "int64", "amount": "float64"},
        parse_dates=["order_date"],
    )
    t2 = time.perf_counter()
    # Money in integer cents, so the revenue check is exact.
    df["cents"] = (df["amount"] * 100).round().astype("int64")
    df["day"] = df["order_date"].dt.normalize()
    per = df.groupby("customer_id", sort=True).agg(
        orders=("order_id", "size"),
        cents=("cents", "sum"),
        first=("order_date", "min"),
        last=("order_date", "max"),
        days=("day", "nunique"),
    )
    t3 = time.perf_counter()
    customers = int(len(per))
    orders = int(per["orders"].sum())
    cents = int(per["cents"].sum())
    totals = {
        "customers": customers,
        "orders": orders,
        "revenue_cents": cents,
        "repeat_customers": int((per["orders"] >= 2).sum()),
        "repeat_day_customers": int((per["days"] >= 2).sum()),
        "aov": (cents / 100.0) / orders if orders else None,
        "first_purchase": str(per["first"].min().date()) if customers else None,
        "last_purchase": str(per["last"].max().date()) if customers else None,
    }
    month = df["order_date"].dt.to_period("M")
    monthly = df.groupby(month, sort=True).agg(
        E=("customer_id", "nunique"),
        orders=("order_id", "size"),
        cents=("cents", "sum"),
    )
    new = per["first"].dt.to_period("M").value_counts()
    months = [
        {
            "month": str(m),
            "E": int(row.E),
            "N": int(new.get(m, 0)),
            "orders": int(row.orders),
            "revenue_cents": int(row.cents),
        }
        for m, row in monthly.iterrows()
    ]
    t4 = time.perf_counter()
    doc = {
        "tool": "pandas",
        "version": pd.__version__,
        "totals": totals,
        "months": months,
        "timings": {
            "import": t1 - t0,
            "read_csv": t2 - t1,
            "groupby_customer": t3 - t2,
            "totals_and_months": t4 - t3,
        },
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
