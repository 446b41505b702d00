#!/usr/bin/python3
"""pandas peer of `rebuy cohorts --period month --mode on --metric customers`: for every cohort
(the month of a customer's first purchase day) its size and, for every offset k (months since),
the number of its customers with a purchase in that month. Usage: cohorts_pandas.py IN OUT.json
"""
import json
import sys
import time

t0 = time.perf_counter()
import pandas as pd  # noqa: E402

t_import = time.perf_counter() - t0
src, out = sys.argv[1], sys.argv[2]
t1 = time.perf_counter()
df = pd.read_csv(src, dtype={"customer_id": "int64", "order_id": "int64", "amount": "float64"},
                 parse_dates=["order_date"])
t_read = time.perf_counter() - t1
t2 = time.perf_counter()
month = df["order_date"].dt.year * 12 + (df["order_date"].dt.month - 1)
first = month.groupby(df["customer_id"]).transform("min")
offset = month - first
cells = (pd.DataFrame({"cohort": first, "offset": offset, "customer": df["customer_id"]})
         .drop_duplicates()
         .groupby(["cohort", "offset"]).size())
sizes = cells.xs(0, level="offset")
t_cohorts = time.perf_counter() - t2
result = {}
for cohort, size in sizes.items():
    label = "%04d-%02d" % (cohort // 12, cohort % 12 + 1)
    counts = cells.loc[cohort]
    result[label] = {"size": int(size), "counts": {int(k): int(v) for k, v in counts.items()}}
with open(out, "w") as f:
    json.dump({"cohorts": result, "version": pd.__version__,
               "timings": {"import": round(t_import, 3), "read_csv": round(t_read, 3),
                           "cohorts": round(t_cohorts, 3)}}, f)
