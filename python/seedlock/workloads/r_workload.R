# R conformance workload: draws, a portable split and kmeans with random starts, seeded from the
# stage the environment names (SEEDLOCK_LOCK, SEEDLOCK_STAGE, set by `seedlock run`).
#
#   seedlock run LOCK --stage r -- Rscript r_workload.R OUTDIR
#
# The rpy2 workload sources this file with `seedlock_workload_no_main` set, seeds R through rpy2
# and calls seedlock_draws(): both paths must give identical values.

seedlock_draws <- function(lock, stage) {
  u <- runif(5)
  n <- rnorm(5)
  s <- sample(10)
  # kmeans with several random starts consumes the RNG; the data itself is fixed.
  x <- matrix(seedlock::r_uniform(7, 200), ncol = 2)
  km <- kmeans(x, centers = 3, nstart = 5)
  split <- seedlock::portable_split(100, c(train = 0.7, val = 0.2, test = 0.1), seedlock::stage_seed(lock, stage, "r"))
  list(runif = u, rnorm = n, sample = s, kmeans_centers = as.vector(km$centers), kmeans_cluster = km$cluster,
       split_train = split$train, split_val = split$val, split_test = split$test)
}

seedlock_write <- function(values, meta, dir) {
  dir.create(dir, showWarnings = FALSE, recursive = TRUE)
  as_text <- lapply(values, function(v) sprintf("%.17g", v))
  writeLines(jsonlite::toJSON(as_text, auto_unbox = FALSE), file.path(dir, "outputs.json"))
  writeLines(jsonlite::toJSON(meta, auto_unbox = TRUE, digits = NA), file.path(dir, "outputs.meta.json"))
}

seedlock_framework_draws <- function() {
  state <- if (exists(".Random.seed", globalenv())) get(".Random.seed", globalenv()) else NULL
  kinds <- RNGkind()
  on.exit({
    RNGkind(kinds[[1]], kinds[[2]], kinds[[3]])
    if (!is.null(state)) assign(".Random.seed", state, globalenv())
  })
  set.seed(42, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  list(`r.mt_42_runif` = sprintf("%.17g", runif(3)), `r.mt_42_sample` = sample(10))
}

if (!exists("seedlock_workload_no_main")) {
  suppressMessages(library(seedlock))
  args <- commandArgs(trailingOnly = TRUE)
  lock <- load_seedlock(Sys.getenv("SEEDLOCK_LOCK"))
  stage <- Sys.getenv("SEEDLOCK_STAGE")
  used <- set_seedlock(lock, stage)
  values <- seedlock_draws(lock, stage)
  seedlock_write(values, list(binding = "Rscript", seeds = list(r = used), framework_draws = seedlock_framework_draws(),
                              versions = list(r = as.character(getRversion()), kinds = RNGkind())), args[[1]])
}
