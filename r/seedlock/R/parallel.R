#' Seed R's parallel workers from a lock
#'
#' R gives parallel workers their own streams of the L'Ecuyer-CMRG generator. These functions seed
#' those streams from the stage's `r` seed by the rule of SPEC.md section 11, so a parallel job gives
#' the same numbers in every fresh R process, a different stream to every worker, and streams that
#' never coincide with the one [set_seedlock()] gives the parent:
#'
#' * `parallel_seed()` is the parallel seed `P = derive_seed(G, "parallel")`, where `G` is the stage's
#'   `r` seed (its rank seed for `rank`, then its epoch seed for `epoch`).
#' * `lecuyer_seed()` is the first stream: R's `.Random.seed` after
#'   `set.seed(P, kind = "L'Ecuyer-CMRG")` with the lock's normal and sample kinds. Give it to
#'   `future.apply` as `future_lapply(..., future.seed = lecuyer_seed(lock, stage))` (every element
#'   then gets its own stream, whatever the number of workers).
#' * `cluster_set_seedlock(cl, ...)` gives worker `w` of a `parallel` cluster the `w`-th stream, as
#'   `parallel::clusterSetRNGStream(cl, iseed = P)` does, and leaves the parent's RNG as it was.
#' * `set_parallel_seedlock()` sets the parent's RNG to the first stream, for
#'   `parallel::mclapply(..., mc.set.seed = TRUE)` and `mcparallel()`, which hand forked children
#'   successive streams; `with_parallel_seedlock()` and `local_parallel_seedlock()` restore the
#'   parent's previous RNG kind and state afterwards.
#'
#' `mclapply()` results repeat only with the same `mc.cores` and `mc.preschedule`, which decide
#' which child (and so which stream) handles which element; `future_lapply()` results do not depend
#' on the number of workers.
#'
#' @param lock A lock from [load_seedlock()], or the path of a lock or manifest.
#' @param stage The stage name; the stage must list the `r` framework.
#' @param rank For distributed runs: derive from this rank's seed (SPEC.md section 4.3).
#' @param epoch Derive from this epoch's seed (see [seed_epoch()]).
#' @param cl A cluster from [parallel::makeCluster()].
#' @param code Code to run with the parent's RNG on the first stream.
#' @param .local_envir The environment whose exit restores the RNG state.
#' @return `parallel_seed()`: an integer seed. `lecuyer_seed()`: an integer vector of length 7.
#'   `cluster_set_seedlock()` and `set_parallel_seedlock()`: the parallel seed, invisibly.
#'   `with_parallel_seedlock()`: the value of `code`.
#' @examples
#' lock <- resolve_seedlock(parse_seedlock(
#'   '{"version": "1.0", "seed": 42, "stages": {"fit": {"frameworks": ["r"]}}}'), env = character(0))
#' parallel_seed(lock, "fit")
#' \donttest{
#' cl <- parallel::makeCluster(2)
#' cluster_set_seedlock(cl, lock, "fit")
#' parallel::parSapply(cl, 1:2, function(i) runif(1))
#' parallel::stopCluster(cl)
#' }
#' if (.Platform$OS.type == "unix") {
#'   with_parallel_seedlock(lock, "fit",
#'     parallel::mclapply(1:4, function(i) runif(1), mc.cores = 2, mc.set.seed = TRUE))
#' }
#' @export
parallel_seed <- function(lock, stage, rank = NULL, epoch = NULL) {
  derive_seed(r_seed(as_lock(lock), stage, rank = rank, epoch = epoch), "parallel")
}

#' @rdname parallel_seed
#' @export
lecuyer_seed <- function(lock, stage, rank = NULL, epoch = NULL) {
  lock <- as_lock(lock)
  seed <- parallel_seed(lock, stage, rank = rank, epoch = epoch)
  state <- rng_state()
  on.exit(restore_rng_state(state), add = TRUE)
  set_lecuyer(lock, stage, seed)
  get(".Random.seed", envir = globalenv())
}

#' @rdname parallel_seed
#' @export
cluster_set_seedlock <- function(cl, lock, stage, rank = NULL, epoch = NULL) {
  lock <- as_lock(lock)
  seed <- parallel_seed(lock, stage, rank = rank, epoch = epoch)
  state <- rng_state()
  on.exit(restore_rng_state(state), add = TRUE)
  # clusterSetRNGStream() keeps the parent's normal and sample kinds: pin the lock's first.
  set_lecuyer(lock, stage, seed)
  parallel::clusterSetRNGStream(cl, iseed = seed)
  invisible(seed)
}

#' @rdname parallel_seed
#' @export
set_parallel_seedlock <- function(lock, stage, rank = NULL, epoch = NULL) {
  lock <- as_lock(lock)
  seed <- parallel_seed(lock, stage, rank = rank, epoch = epoch)
  set_lecuyer(lock, stage, seed)
  invisible(seed)
}

#' @rdname parallel_seed
#' @export
with_parallel_seedlock <- function(lock, stage, code, rank = NULL, epoch = NULL) {
  local_parallel_seedlock(lock, stage, rank = rank, epoch = epoch)
  code
}

#' @rdname parallel_seed
#' @export
local_parallel_seedlock <- function(lock, stage, rank = NULL, epoch = NULL, .local_envir = parent.frame()) {
  lock <- as_lock(lock)
  state <- rng_state()
  withr::defer(restore_rng_state(state), envir = .local_envir)
  set_parallel_seedlock(lock, stage, rank = rank, epoch = epoch)
}

set_lecuyer <- function(lock, stage, seed) {
  s <- lock_stage(lock, stage)$frameworks$r$settings
  # sample.kind = "Rounding" warns that it is non-uniform; the lock asked for it explicitly.
  suppressWarnings(set.seed(seed, kind = "L'Ecuyer-CMRG", normal.kind = s$normal_kind, sample.kind = s$sample_kind))
}
