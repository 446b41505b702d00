#!/bin/sh
# `rebuy report` on 10M generated rows (1,000,000 customers; the input of
# bench/run-summary.sh), medians of --repeat runs (default 5) of wall time and
# peak memory, and the report's size. In the same run, for scale: the same
# analyses as separate commands (summary, cohorts, rfm, fit of both candidate
# models on the holdout split, fit with spend, predict), each loading the file
# again, which is what a shop would run without the report.
# Targets (issue 5, 2-core machine): <= 5 s wall, <= 2 MB.
# Usage: bench/run-report.sh [--repeat N] [--customers N]
set -eu
cd "$(dirname "$0")/.."
repeat=5 customers=1000000
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=$2; shift 2 ;;
	--customers) customers=$2; shift 2 ;;
	*) echo "run-report.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DREBUY_TESTS=OFF >/dev/null
cmake --build build-release -j --target rebuy >/dev/null
mkdir -p bench/data bench/results
data="bench/data/orders-customers$customers-r2-alpha12.5-s1.5-beta150-weeks104-aw52-seed7.csv"
if [ ! -f "$data" ]; then
	build-release/rebuy gen --customers "$customers" --r 2 --alpha 12.5 --s 1.5 --beta 150 \
		--weeks 104 --acquisition-weeks 52 --seed 7 --quiet -o "$data"
fi
R=build-release/rebuy
out="bench/results/report-$(date -u +%Y-%m-%d-%H%M%S).txt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "input: $data ($(nproc) CPUs), $repeat runs each" | tee "$out"
# The calibration end the report picks: two thirds into the purchase history.
first=$($R summary "$data" --format json --quiet | /usr/bin/python3 -c \
	'import json,sys,datetime as d; j=json.load(sys.stdin); a=d.date.fromisoformat(j["first_purchase"]); b=d.date.fromisoformat(j["last_purchase"]); print(a + d.timedelta(days=(b-a).days*2//3))')
i=0
while [ $i -lt "$repeat" ]; do
	/usr/bin/time -f "report %e %M" -a -o "$tmp/times" $R report "$data" -o "$tmp/r.html" --quiet
	/usr/bin/time -f "separate %e 0" -a -o "$tmp/times" sh -c '
		R=$1 data=$2 first=$3 tmp=$4
		$R summary "$data" --quiet >/dev/null
		$R cohorts "$data" --quiet >/dev/null
		$R cohorts "$data" --metric ltv --quiet >/dev/null
		$R rfm "$data" --quiet >/dev/null
		$R fit "$data" --model bgnbd --calibration-end "$first" --quiet >/dev/null
		$R fit "$data" --model pnbd --calibration-end "$first" --quiet >/dev/null
		$R predict "$data" --model pnbd --spend gg --quiet -o "$tmp/p.csv"' sh "$R" "$data" "$first" "$tmp"
	i=$((i + 1))
done
size=$(wc -c <"$tmp/r.html")
/usr/bin/python3 - "$tmp/times" "$size" <<'PY' | tee -a "$out"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
rep = [float(r[1]) for r in rows if r[0] == "report"]
mem = [int(r[2]) for r in rows if r[0] == "report"]
sep = [float(r[1]) for r in rows if r[0] == "separate"]
size = int(sys.argv[2])
m = statistics.median(rep)
print(f"rebuy report: median {m:.2f} s (range {min(rep):.2f}-{max(rep):.2f}), "
      f"peak {statistics.median(mem) / 1024:.0f} MB, report {size / 1024:.0f} KB")
print(f"  target <= 5 s: {'MET' if m <= 5 else 'NOT MET'}; <= 2 MB: {'MET' if size <= 2 << 20 else 'NOT MET'}")
if sep:
    s = statistics.median(sep)
    print(f"the same analyses as separate commands: median {s:.2f} s: the report is {s / m:.1f}x faster")
PY
