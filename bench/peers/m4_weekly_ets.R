# The peer of bench/run-forecast.sh --ets: forecast::ets with its defaults on
# every M4 Weekly series as non-seasonal (frequency 1), 13 steps; prints the
# mean sMAPE and MASE (lag-1 scaling), the seconds of the loop alone, and
# writes the chosen models to MODELS_OUT when given.
# Usage: Rscript m4_weekly_ets.R TRAIN TEST [MODELS_OUT]
suppressMessages(library(forecast))
a <- commandArgs(TRUE)
read_rows <- function(p) {
  d <- read.csv(p, stringsAsFactors = FALSE)
  ids <- d[[1]]
  rows <- lapply(seq_len(nrow(d)), function(i) { v <- as.numeric(d[i, -1]); v[!is.na(v)] })
  list(ids = ids, rows = rows)
}
trd <- read_rows(a[1]); tr <- trd$rows; te <- read_rows(a[2])$rows
s <- 0; m <- 0
t0 <- proc.time()[["elapsed"]]
fits <- lapply(tr, function(x) ets(ts(x, frequency = 1)))
fc <- lapply(fits, function(f) forecast(f, h = 13, PI = FALSE)$mean)
secs <- proc.time()[["elapsed"]] - t0
for (i in seq_along(tr)) {
  y <- te[[i]]; f <- as.numeric(fc[[i]]); x <- tr[[i]]
  s <- s + mean(200 * abs(y - f) / (abs(y) + abs(f)))
  m <- m + mean(abs(y - f)) / mean(abs(diff(x)))
}
if (length(a) > 2)
  write.csv(data.frame(id = trd$ids, model = sapply(fits, function(f) f$method)), a[3],
            row.names = FALSE, quote = FALSE)
cat(sprintf("R ets sMAPE %.6f MASE %.6f seconds %.3f\n", s / length(tr), m / length(tr), secs))
