# An R pipeline with probes: from epoch 1 on it re-seeds R from the clock and the process id.
library(seedlock)
x <- rnorm(20)
probe("data", x)
for (epoch in 0:3) {
  if (epoch == 1) set.seed(as.integer((as.numeric(Sys.time()) * 1000) %% 1e6) + Sys.getpid())
  batch <- x + rnorm(20, sd = 0.1)
  probe("batch", batch)
  x <- batch / 2
}
writeLines(sprintf("%.17g", x), "out.txt")
