# BG/NBD maximum likelihood in base R, the way BTYD and lifetimes do it:
# the closed-form log-likelihood of Fader, Hardie & Lee (2005), vectorized
# over customers, maximized by optim (L-BFGS-B) on log parameters from
# (1, 1, 1, 1). Reads a summary CSV (x, t_x, T); prints one JSON line.
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
x <- d$x; tx <- d$t_x; TT <- d$T
nll <- function(lp) {
  r <- exp(lp[1]); alpha <- exp(lp[2]); a <- exp(lp[3]); b <- exp(lp[4])
  A1 <- lgamma(r + x) - lgamma(r) + r * log(alpha)
  A2 <- lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
  A3 <- -(r + x) * log(alpha + TT)
  A4 <- ifelse(x > 0, log(a) - log(b + x - 1) - (r + x) * log(alpha + tx), -Inf)
  m <- pmax(A3, A4)
  -sum(A1 + A2 + m + log(exp(A3 - m) + exp(A4 - m)))
}
t0 <- proc.time()[["elapsed"]]
o <- optim(c(0, 0, 0, 0), nll, method = "L-BFGS-B")
t1 <- proc.time()[["elapsed"]]
cat(sprintf('{"peer": "R optim", "model": "bgnbd", "seconds": %.3f, "log_likelihood": %.6f, "params": [%s], "convergence": %d}\n',
            t1 - t0, -o$value, paste(sprintf("%.6g", exp(o$par)), collapse = ", "), o$convergence))
