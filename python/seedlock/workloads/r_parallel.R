# R conformance workload: parallel jobs seeded from the stage the environment names (SPEC.md
# section 11), the three ways R users parallelise:
#
#   * a 2-worker PSOCK cluster with cluster_set_seedlock() (clusterSetRNGStream);
#   * mclapply(mc.cores = 2, mc.set.seed = TRUE) inside with_parallel_seedlock();
#   * future.apply's future_lapply(future.seed = lecuyer_seed()) with 2 forked workers, and again
#     sequentially (the values must not depend on the number of workers).
#
#   seedlock run LOCK --stage r -- Rscript r_parallel.R OUTDIR
#
# outputs.json holds every draw (what must repeat); outputs.meta.json names the structure the
# values must have: groups whose members must all differ (workers), and groups that must agree.

suppressMessages(library(seedlock))
args <- commandArgs(trailingOnly = TRUE)
lock <- load_seedlock(Sys.getenv("SEEDLOCK_LOCK"))
stage <- Sys.getenv("SEEDLOCK_STAGE")

job <- function(i) c(runif(2), rnorm(1))

cl <- parallel::makeCluster(2)
cluster_set_seedlock(cl, lock, stage)
streams <- parallel::clusterEvalQ(cl, .Random.seed)  # SPEC.md section 11: S_1, S_2 (Python computes them too)
cluster <- parallel::clusterEvalQ(cl, c(runif(2), rnorm(1)))
parallel::stopCluster(cl)

# Prescheduled over 2 children: elements 1 and 3 in the first, 2 and 4 in the second.
forked <- with_parallel_seedlock(lock, stage, parallel::mclapply(1:4, job, mc.cores = 2, mc.set.seed = TRUE))

future_run <- function(plan) {
  old <- future::plan(plan)
  on.exit(future::plan(old))
  future.apply::future_lapply(1:4, job, future.seed = lecuyer_seed(lock, stage))
}
future_multicore <- future_run(future::tweak(future::multicore, workers = 2))
future_sequential <- future_run(future::sequential)

values <- list(
  cluster.w1 = cluster[[1]], cluster.w2 = cluster[[2]],
  mclapply.e1 = forked[[1]], mclapply.e2 = forked[[2]], mclapply.e3 = forked[[3]], mclapply.e4 = forked[[4]],
  future.e1 = future_multicore[[1]], future.e2 = future_multicore[[2]],
  future.e3 = future_multicore[[3]], future.e4 = future_multicore[[4]],
  future_sequential = unlist(future_sequential), future_multicore = unlist(future_multicore)
)
structure <- list(
  differ = list(c("cluster.w1", "cluster.w2"), c("mclapply.e1", "mclapply.e2", "mclapply.e3", "mclapply.e4"),
                c("future.e1", "future.e2", "future.e3", "future.e4")),
  agree = list(c("future_sequential", "future_multicore"))
)
dir.create(args[[1]], showWarnings = FALSE, recursive = TRUE)
writeLines(jsonlite::toJSON(lapply(values, function(v) sprintf("%.17g", v))), file.path(args[[1]], "outputs.json"))
meta <- list(binding = "Rscript", seeds = list(r = stage_seed(lock, stage, "r"), parallel = parallel_seed(lock, stage)),
             streams = streams, structure = structure,
             versions = list(r = as.character(getRversion()), future.apply = as.character(packageVersion("future.apply"))))
writeLines(jsonlite::toJSON(meta, auto_unbox = TRUE, digits = NA), file.path(args[[1]], "outputs.meta.json"))
