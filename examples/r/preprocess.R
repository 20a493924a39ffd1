# An R preprocessing stage seeded from a lock:
#   seedlock resolve examples/r/pipeline.json -o run.lock.json
#   seedlock run run.lock.json --stage preprocess -- Rscript examples/r/preprocess.R
# It prints what examples/r/preprocess.py prints for the same lock and stage.
suppressMessages(library(seedlock))
stage <- seedlock_from_env()      # seeds R from $SEEDLOCK_LOCK/$SEEDLOCK_STAGE; outside `seedlock run` it says so

draws <- runif(5)                                        # R's own generator, seeded from the lock
split <- portable_split(10, c(train = 0.8, test = 0.2), stage$seed)
cat(jsonlite::toJSON(list(
  seeds = as.list(stage$seeds),
  runif = sprintf("%.17g", draws),
  train = split$train - 1L,                              # 0-based, as Python prints them
  test = split$test - 1L
), auto_unbox = TRUE), "\n")
