# An R preprocessing stage seeded from a lock:
#   seedlock resolve examples/r/pipeline.json -o run.lock.json
#   seedlock run run.lock.json --stage preprocess -- Rscript examples/r/preprocess.R
# It prints what examples/r/preprocess.py prints for the same lock and stage.
suppressMessages(library(seedlock))
lock <- load_seedlock(Sys.getenv("SEEDLOCK_LOCK"))
stage <- Sys.getenv("SEEDLOCK_STAGE")
seed <- stage_seed(lock, stage, "r")

draws <- with_seedlock(lock, stage, runif(5))          # R's own generator, seeded from the lock
split <- portable_split(10, c(train = 0.8, test = 0.2), seed)
cat(jsonlite::toJSON(list(
  seeds = as.list(stage_seeds(lock, stage)),
  runif = sprintf("%.17g", draws),
  train = split$train - 1L,                              # 0-based, as Python prints them
  test = split$test - 1L
), auto_unbox = TRUE), "\n")
