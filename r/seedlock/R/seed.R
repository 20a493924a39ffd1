#' Seed R from a lock
#'
#' `set_seedlock()` calls `set.seed()` with the stage's `r` seed and the RNG kind triple pinned in
#' the lock (default Mersenne-Twister / Inversion / Rejection), exactly as the Python binding does
#' through rpy2. `with_seedlock()` runs `code` seeded and then restores the previous RNG kind and
#' `.Random.seed` (including "no seed yet"); `local_seedlock()` does the same until
#' `.local_envir` exits.
#'
#' @param lock A lock from [load_seedlock()], or the path of a lock or manifest.
#' @param stage The stage name; the stage must list the `r` framework.
#' @param rank For distributed runs: use the seed of this rank (SPEC.md section 4.3).
#' @param epoch Use the seed of this epoch (see [seed_epoch()]); with `rank`, the rank seed's.
#' @param code Code to run with the stage's seed.
#' @param .local_envir The environment whose exit restores the RNG state.
#' @return `set_seedlock()`: the seed used, invisibly. `with_seedlock()`: the value of `code`.
#' @examples
#' lock <- resolve_seedlock(parse_seedlock(
#'   '{"version": "1.0", "seed": 42, "stages": {"split": {"frameworks": ["r"]}}}'), env = character(0))
#' with_seedlock(lock, "split", runif(3))
#' f <- function() {
#'   local_seedlock(lock, "split")
#'   sample(10)
#' }
#' f()
#' @export
set_seedlock <- function(lock, stage, rank = NULL, epoch = NULL) {
  seed_r(lock, stage, rank, via = "set_seedlock", epoch = epoch)
}

seed_r <- function(lock, stage, rank, via, epoch = NULL) {
  lock <- as_lock(lock)
  seed <- r_seed(lock, stage, rank = rank, epoch = epoch)
  s <- lock_stage(lock, stage)$frameworks$r$settings
  # sample.kind = "Rounding" warns that it is non-uniform; the lock asked for it explicitly.
  suppressWarnings(set.seed(seed, kind = s$kind, normal.kind = s$normal_kind, sample.kind = s$sample_kind))
  report_seeded(via, stage,
                sprintf("set.seed(%d, kind='%s', normal.kind='%s', sample.kind='%s')", seed, s$kind, s$normal_kind,
                        s$sample_kind))
  invisible(seed)
}

#' @rdname set_seedlock
#' @export
with_seedlock <- function(lock, stage, code, rank = NULL, epoch = NULL) {
  local_seedlock(lock, stage, rank = rank, epoch = epoch)
  code
}

#' @rdname set_seedlock
#' @export
local_seedlock <- function(lock, stage, rank = NULL, epoch = NULL, .local_envir = parent.frame()) {
  lock <- as_lock(lock)
  state <- rng_state()
  withr::defer(restore_rng_state(state), envir = .local_envir)
  set_seedlock(lock, stage, rank = rank, epoch = epoch)
}

rng_state <- function() {
  has <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  list(kinds = RNGkind(), has = has, seed = if (has) get(".Random.seed", envir = globalenv()) else NULL)
}

restore_rng_state <- function(state) {
  suppressWarnings(RNGkind(state$kinds[[1]], state$kinds[[2]], state$kinds[[3]]))
  if (state$has) {
    assign(".Random.seed", state$seed, envir = globalenv())
  } else if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
    rm(".Random.seed", envir = globalenv())
  }
  invisible(NULL)
}
