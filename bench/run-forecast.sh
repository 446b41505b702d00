#!/bin/sh
# M4 Weekly (359 series, horizon 13, non-seasonal as in the M4 benchmark code)
# with rebuy's automatic ARIMA (bench/forecast_bench.c, one thread): sMAPE,
# MASE and OWA against Naive2, and the seconds of the forecasting loop; the
# median of --repeat runs (default 5). With --peer, R's forecast::auto.arima
# runs on the same files in the same session (about a minute; needs Debian's
# r-cran-forecast) and the ratio of the times is printed. Also the share of
# series where rebuy picks the order R picked (reference orders file).
# With --ets the same for rebuy's exponential smoothing against R's
# forecast::ets row of the reference (--peer: R's ets in the same session,
# and the share of series where both pick the same model).
# Usage: bench/run-forecast.sh [--repeat N] [--peer] [--ets]
set -eu
cd "$(dirname "$0")/.."
repeat=5 peer=0 ets=0
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=$2; shift 2 ;;
	--peer) peer=1; shift ;;
	--ets) ets=1; shift ;;
	*) echo "run-forecast.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
data=../shared/data/forecast
ref=../shared/reference/forecast
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2 --target rebuy_lib >/dev/null
cc -O2 -Iinclude -o build-release/forecast_bench bench/forecast_bench.c build-release/librebuy.a \
	-lz -lxxhash -lm -lpthread
mkdir -p bench/results
if [ "$ets" = 1 ]; then
	times=""
	for i in $(seq "$repeat"); do
		out=$(build-release/forecast_bench --ets "$data/Weekly-train.csv" \
			"$data/Weekly-test.csv" bench/results/forecast-weekly-ets-models.csv)
		times="$times $(echo "$out" | awk '/^series/ {print $6}')"
	done
	echo "$out" | sed 1d
	median=$(echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
	echo "rebuy ets: median $median s of $repeat runs (all:$times)"
	echo "reference (R 8.20 ets): $(grep '"ets"' "$ref/Weekly_accuracy.csv"), $(grep '"ets"' "$ref/Weekly_timing.csv") s"
	if [ "$peer" = 1 ]; then
		p=$(/usr/bin/Rscript bench/peers/m4_weekly_ets.R "$data/Weekly-train.csv" \
			"$data/Weekly-test.csv" bench/results/forecast-weekly-ets-models-r.csv)
		echo "$p"
		rs=$(echo "$p" | awk '{print $NF}')
		echo "time ratio R / rebuy: $(echo "$rs $median" | awk '{printf "%.1f", $1 / $2}')"
		same=$(awk -F, 'NR == FNR {m[$1] = $2; next} FNR > 1 && m[$1] == $2' \
			bench/results/forecast-weekly-ets-models-r.csv \
			bench/results/forecast-weekly-ets-models.csv | wc -l)
		echo "models equal to R's: $same of $(($(wc -l <bench/results/forecast-weekly-ets-models.csv) - 1))"
	fi
	exit 0
fi
times=""
for i in $(seq "$repeat"); do
	out=$(build-release/forecast_bench "$data/Weekly-train.csv" "$data/Weekly-test.csv" \
		bench/results/forecast-weekly-orders.csv)
	times="$times $(echo "$out" | awk '/^series/ {print $6}')"
done
echo "$out" | sed 1d
median=$(echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
echo "rebuy auto.arima: median $median s of $repeat runs (all:$times)"
echo "reference (R 8.20 auto.arima): $(grep auto.arima "$ref/Weekly_accuracy.csv"), $(grep auto.arima "$ref/Weekly_timing.csv") s"
/usr/bin/python3 - "$ref/Weekly_autoarima_orders.csv" bench/results/forecast-weekly-orders.csv <<'PY'
import csv, sys
r = {row[0]: row[1] for row in csv.reader(open(sys.argv[1]))}
m = {row[0]: row[1] for row in csv.reader(open(sys.argv[2]))}
same = sum(1 for k in m if k != "id" and r.get(k) == m[k])
print(f"orders equal to R's: {same} of {len(m) - 1}")
PY
if [ "$peer" = 1 ]; then
	p=$(/usr/bin/Rscript bench/peers/m4_weekly_autoarima.R "$data/Weekly-train.csv" "$data/Weekly-test.csv")
	echo "$p"
	rs=$(echo "$p" | awk '{print $NF}')
	echo "time ratio R / rebuy: $(echo "$rs $median" | awk '{printf "%.1f", $1 / $2}')"
fi
