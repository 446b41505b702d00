#!/usr/bin/python3
"""The rule part of `rebuy audiences` in pandas, the peer of bench/audiences.py: per customer
first, second and last purchase day, purchase days, revenue; then second_purchase (one
purchase day, days since it within the quartiles of the days to the second purchase),
win_back (revenue >= the median and recency >= 3 x the mean gap), at_risk (1.5 to 3 x the
mean gap) and vip (the top 5 % by revenue), written as CSV. What rebuy adds (the lifetime
model's P(alive), CLV, the P(alive) drop, reasons) has no counterpart here: the peer does
less work, so the ratio flatters it.

usage: audiences_pandas.py ORDERS.csv OUT.csv
"""
import sys

import numpy as np
import pandas as pd


def main():
    src, out = sys.argv[1], sys.argv[2]
    df = pd.read_csv(src, usecols=["customer_id", "order_date", "amount"],
                     dtype={"customer_id": "int64", "amount": "float64"})
    df["day"] = pd.to_datetime(df["order_date"].str.slice(0, 10)).values.astype(
        "datetime64[D]").astype("int64")
    as_of = df["day"].max() + 1
    days = df[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    g = days.groupby("customer_id")["day"]
    c = pd.DataFrame({"first": g.min(), "last": g.max(), "n_days": g.size()})
    c["second"] = days.groupby("customer_id")["day"].nth(1)
    c["revenue"] = df.groupby("customer_id")["amount"].sum()
    c["recency"] = as_of - c["last"]
    c["gap"] = np.where(c["n_days"] > 1, (c["last"] - c["first"]) / (c["n_days"] - 1).clip(lower=1),
                        as_of - c["first"])
    d2 = (c["second"] - c["first"]).dropna()
    lo, hi = d2.quantile(0.25), d2.quantile(0.75)
    rep = c["n_days"] > 1
    parts = []
    second = c[~rep & (c["recency"] >= lo) & (c["recency"] <= hi)]
    parts.append(pd.DataFrame({"customer": second.index, "audience": "second_purchase",
                               "score": second["recency"]}))
    wb = c[(c["revenue"] >= c["revenue"].quantile(0.5)) & rep & (c["recency"] >= 3 * c["gap"])]
    parts.append(pd.DataFrame({"customer": wb.index, "audience": "win_back",
                               "score": wb["revenue"]}))
    ar = c[rep & (c["recency"] >= 1.5 * c["gap"]) & (c["recency"] < 3 * c["gap"])]
    parts.append(pd.DataFrame({"customer": ar.index, "audience": "at_risk",
                               "score": ar["revenue"]}))
    vip = c.nlargest(max(1, int(np.ceil(0.05 * len(c)))), "revenue")
    parts.append(pd.DataFrame({"customer": vip.index, "audience": "vip",
                               "score": vip["revenue"]}))
    res = pd.concat(parts)
    res["last_purchase"] = pd.to_datetime(c.loc[res["customer"], "last"].values, unit="D").strftime(
        "%Y-%m-%d")
    res = res.sort_values(["audience", "score", "customer"], ascending=[True, False, True])
    res.to_csv(out, index=False)


if __name__ == "__main__":
    main()
