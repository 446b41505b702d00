# The peer of bench/run-forecast.sh: forecast::auto.arima with its defaults on
# every M4 Weekly series as non-seasonal (frequency 1), 13 steps; prints the
# mean sMAPE and MASE (lag-1 scaling) and the seconds of the loop alone.
# Usage: Rscript m4_weekly_autoarima.R TRAIN TEST
suppressMessages(library(forecast))
a <- commandArgs(TRUE)
read_rows <- function(p) {
  d <- read.csv(p, stringsAsFactors = FALSE)
  lapply(seq_len(nrow(d)), function(i) { v <- as.numeric(d[i, -1]); v[!is.na(v)] })
}
tr <- read_rows(a[1]); te <- read_rows(a[2])
s <- 0; m <- 0
t0 <- proc.time()[["elapsed"]]
fc <- lapply(tr, function(x) forecast(auto.arima(ts(x, frequency = 1)), h = 13)$mean)
secs <- proc.time()[["elapsed"]] - t0
for (i in seq_along(tr)) {
  y <- te[[i]]; f <- as.numeric(fc[[i]]); x <- tr[[i]]
  s <- s + mean(200 * abs(y - f) / (abs(y) + abs(f)))
  m <- m + mean(abs(y - f)) / mean(abs(diff(x)))
}
cat(sprintf("R auto.arima sMAPE %.6f MASE %.6f seconds %.3f\n", s / length(tr), m / length(tr), secs))
