"""The attribution peer: the same six models as `rebuy attribute --paths`, written with
pandas and numpy (there is no ChannelAttribution package in Debian). Reads the paths file
with pandas, splits the paths, computes first/last/linear/position (40/20/40)/time decay
(half-life 1 touch) credits with vectorised pandas, and the first-order Markov removal
effects exactly, with numpy.linalg.solve once per removed channel (the textbook way).

Times, with time.perf_counter over --repeat runs in this process (after the imports):
read (pandas.read_csv of the bytes held in memory), paths (splitting and exploding), models.
Prints one JSON line with the medians and the credits.

usage: /usr/bin/python3 attribute_numpy.py PATHS.csv [--repeat N]
"""
import io
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd


def attribute(raw):
    t0 = time.perf_counter()
    df = pd.read_csv(io.BytesIO(raw))
    t1 = time.perf_counter()
    conv = df["total_conversions"].to_numpy(float)
    value = df["total_conversion_value"].to_numpy(float)
    null = df["total_null"].to_numpy(float)
    touches = df["path"].str.split(">")
    lens = touches.str.len().to_numpy()
    ex = touches.explode().str.strip()
    pid = np.repeat(np.arange(len(df)), lens)
    pos = np.concatenate([np.arange(n) for n in lens]) if len(lens) else np.array([], int)
    codes, chans = pd.factorize(ex.to_numpy(), sort=True)
    t2 = time.perf_counter()

    k = len(chans)
    n = lens[pid]
    first = pos == 0
    last = pos == n - 1
    w = {}
    w["first_touch"] = first.astype(float)
    w["last_touch"] = last.astype(float)
    w["linear"] = 1.0 / n
    mid = np.where(n > 2, 0.2 / np.maximum(n - 2, 1), 0.0)
    wp = np.where(first, 0.4, np.where(last, 0.4, mid))
    wp = np.where(n == 1, 1.0, np.where(n == 2, 0.5, wp))
    w["position"] = wp
    age = (n - 1 - pos).astype(float)
    wd = np.exp2(-age)
    sums = np.bincount(pid, weights=wd, minlength=len(df))
    w["time_decay"] = wd / sums[pid]
    credits = {}
    for m, wm in w.items():
        credits[m] = np.bincount(codes, weights=wm * conv[pid], minlength=k)

    # Markov: transition counts weighted by conversions + nulls
    weight = conv + null
    state = codes + 1
    prev = np.where(first, 0, np.roll(state, 1))
    T = np.zeros((k + 1, k + 3))
    np.add.at(T, (prev, state), weight[pid])
    ends = np.cumsum(lens) - 1
    np.add.at(T, (state[ends], k + 1), conv)
    np.add.at(T, (state[ends], k + 2), null)

    def p_conv(removed):
        keep = [i for i in range(k + 1) if i != removed]
        rows = T[keep]
        tot = rows.sum(axis=1)
        tot[tot == 0] = 1
        P = rows / tot[:, None]
        Q = P[:, keep]
        b = P[:, k + 1]
        x = np.linalg.solve(np.eye(len(keep)) - Q, b)
        return x[0]

    p0 = p_conv(None)
    re = np.array([1 - p_conv(c + 1) / p0 for c in range(k)])
    credits["markov"] = conv.sum() * re / re.sum()
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2, t3 - t0), chans, credits, len(df), len(codes)


def main():
    path = sys.argv[1]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--repeat" else 21
    raw = open(path, "rb").read()
    times = []
    for _ in range(repeat):
        t, chans, credits, npaths, ntouches = attribute(raw)
        times.append(t)
    med = [statistics.median(x[i] for x in times) for i in range(4)]
    models = ["first_touch", "last_touch", "linear", "position", "time_decay", "markov"]
    out = {"tool": "numpy", "paths": npaths, "touches": ntouches, "channels": len(chans),
           "runs": repeat, "table_s": med[0], "paths_s": med[1], "models_s": med[2],
           "total_s": med[3], "min_total_s": min(x[3] for x in times),
           "versions": {"numpy": np.__version__, "pandas": pd.__version__},
           "credits": {c: [float(credits[m][i]) for m in models] for i, c in enumerate(chans)}}
    print(json.dumps(out))


main()
