#!/usr/bin/python3
"""pandas peer of `rebuy rfm` (5 bins, default segment map): per customer recency (days from
the last purchase day to the as-of day, the day after the last purchase in the data), frequency
(orders) and monetary (revenue); scores 1 + floor(5 * (customers with a strictly smaller value)
/ n), recency with "strictly larger"; segments by the first matching (R, F) rule; per segment
the customers and revenue. Usage: rfm_pandas.py IN OUT.json
"""
import json
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

t_import = time.perf_counter() - t0
src, out = sys.argv[1], sys.argv[2]
t1 = time.perf_counter()
df = pd.read_csv(src, dtype={"customer_id": "int64", "order_id": "int64", "amount": "float64"},
                 parse_dates=["order_date"])
t_read = time.perf_counter() - t1
t2 = time.perf_counter()
df["cents"] = (df["amount"] * 100).round().astype("int64")
df["day"] = df["order_date"].dt.normalize()
g = df.groupby("customer_id").agg(last=("day", "max"), frequency=("order_id", "size"),
                                  cents=("cents", "sum"))
as_of = df["day"].max() + pd.Timedelta(days=1)
recency = (as_of - g["last"]).dt.days
n = len(g)


def score(values, larger=False):
    # customers with a strictly smaller (or larger) value: the "min" rank minus one
    r = (-values if larger else values).rank(method="min").astype("int64") - 1
    return 1 + (5 * r) // n


R = score(recency, larger=True)
F = score(g["frequency"])
M = score(g["cents"])
rules = [("champions", (5, 5), (4, 5)), ("loyal", (3, 4), (4, 5)),
         ("potential_loyalists", (4, 5), (2, 3)), ("new_customers", (5, 5), (1, 1)),
         ("promising", (4, 4), (1, 1)), ("need_attention", (3, 3), (3, 3)),
         ("about_to_sleep", (3, 3), (1, 2)), ("cant_lose", (1, 2), (5, 5)),
         ("at_risk", (1, 2), (3, 4)), ("hibernating", (1, 2), (1, 2))]
segment = pd.Series("other", index=g.index)
done = pd.Series(False, index=g.index)
for name, (rlo, rhi), (flo, fhi) in rules:
    hit = ~done & R.between(rlo, rhi) & F.between(flo, fhi)
    segment[hit] = name
    done |= hit
summary = pd.DataFrame({"segment": segment, "cents": g["cents"]}).groupby("segment").agg(
    customers=("cents", "size"), cents=("cents", "sum"))
scores = pd.DataFrame({"r": R, "f": F, "m": M}).value_counts()
t_rfm = time.perf_counter() - t2
with open(out, "w") as f:
    json.dump({"segments": {s: {"customers": int(r.customers), "revenue_cents": int(r.cents)}
                            for s, r in summary.iterrows()},
               "scores": {"%d%d%d" % k: int(v) for k, v in scores.items()},
               "version": pd.__version__,
               "timings": {"import": round(t_import, 3), "read_csv": round(t_read, 3),
                           "rfm": round(t_rfm, 3)}}, f)
