#!/bin/sh
# The forecast backtest against seasonal naive on two monthly order series:
# the CDNOW master file (18 months; the last 6 held out) and a seasonal
# `rebuy gen` series (20,000 customers acquired over 5 years, yearly
# seasonality 0.5, seed 3; the last 12 months held out). Prints MAPE, sMAPE
# and MASE of automatic ARIMA, ETS, seasonal naive and the lifetime model side by side.
# Usage: bench/run-forecast-backtest.sh
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2 --target rebuy >/dev/null
mkdir -p bench/data
echo "CDNOW master, monthly, --backtest 6:"
build-release/rebuy forecast ../shared/data/cdnow/CDNOW_master.txt --columns customer,date,_,amount \
	--period month --backtest 6 --format table --quiet --method arima,ets,snaive,clv
gen=bench/data/orders-seasonal-c20000-w260-a0.5-seed3.csv
[ -f "$gen" ] || build-release/rebuy gen --customers 20000 --weeks 260 --acquisition-weeks 260 \
	--seasonality 0.5 --seed 3 -o "$gen"
echo "rebuy gen --seasonality 0.5, monthly, --backtest 12:"
build-release/rebuy forecast "$gen" --period month --backtest 12 --format table --quiet --method arima,ets,snaive,clv
