#' Seed R from the stage `seedlock run` started this script with
#'
#' `seedlock run LOCK --stage STAGE -- Rscript script.R` sets `SEEDLOCK_LOCK` and `SEEDLOCK_STAGE`.
#' `seedlock_from_env()` reads them, seeds R with the stage's `r` seed and kinds as
#' [set_seedlock()] does, and returns the stage (its name, the lock, every framework's seed and the
#' R seed applied), so a script needs no file names. `local_seedlock_from_env()` does the same and
#' restores the previous RNG state when `.local_envir` exits. Outside `seedlock run` both fail with a
#' `seedlock_error_missing_environment` condition that says how to run the script.
#'
#' After the call, the script's own `set.seed(v)` is watched as under auto-seeding (SPEC.md section
#' 6.4): reported to `seedlock run` as overriding the lock, an error with `--strict`
#' (`SEEDLOCK_STRICT=1`), and under take-over (`--take-over`, or the stage's `take_over`) replaced by
#' [takeover_seed()] of the lock's r seed and `v`. Calls made by packages are left alone.
#'
#' `seedlock run` also seeds R at start-up (through `R_PROFILE_USER`) unless given `--no-auto-seed`:
#' a script that calls `seedlock_from_env()` is then seeded again, with the same seed, at the point
#' of the call -- what the script asks for.
#'
#' @param rank For distributed runs: use the seed of this rank (SPEC.md section 4.3).
#' @param .local_envir The environment whose exit restores the RNG state.
#' @return A `seedlock_stage`: a list with `name`, `lock`, `seeds` (named integers, by framework),
#'   `seed` (the R seed applied) and `rank`; invisibly for `local_seedlock_from_env()`.
#' @examples
#' \dontrun{
#' # script.R, run as: seedlock run run.lock.json --stage split -- Rscript script.R
#' stage <- seedlock::seedlock_from_env()
#' runif(3)
#' }
#' @export
seedlock_from_env <- function(rank = NULL) {
  stage <- stage_from_env()
  stage$seed <- seed_r(stage$lock, stage$name, rank, via = "seedlock_from_env")
  stage$rank <- rank
  # The script's own set.seed() from here on (SPEC.md section 6.4), as after auto-seeding.
  take_over <- isTRUE(lock_stage(stage$lock, stage$name)$take_over)
  watch_set_seed(stage$name, stage$seed, strict = identical(Sys.getenv("SEEDLOCK_STRICT"), "1"),
                 takeover = take_over || identical(Sys.getenv("SEEDLOCK_TAKEOVER"), "1"))
  stage
}

#' @rdname seedlock_from_env
#' @export
local_seedlock_from_env <- function(rank = NULL, .local_envir = parent.frame()) {
  state <- rng_state()
  withr::defer(restore_rng_state(state), envir = .local_envir)
  invisible(seedlock_from_env(rank = rank))
}

stage_from_env <- function() {
  path <- Sys.getenv("SEEDLOCK_LOCK")
  name <- Sys.getenv("SEEDLOCK_STAGE")
  missing <- c("SEEDLOCK_LOCK", "SEEDLOCK_STAGE")[!nzchar(c(path, name))]
  if (length(missing) > 0L) {
    seedlock_abort("missing-environment", sprintf(
      "%s %s not set: run this script with `seedlock run LOCK --stage STAGE -- Rscript SCRIPT`",
      paste(missing, collapse = " and "), if (length(missing) > 1L) "are" else "is"))
  }
  lock <- load_seedlock(path)
  lock_stage(lock, name)  # unknown-stage when the lock has no such stage
  lock <- replicate_from_env(lock, name)  # `seedlock run --replicate K` (SPEC.md section 13.2)
  structure(list(name = name, lock = lock, seeds = stage_seeds(lock, name), seed = NA_integer_, rank = NULL),
            class = "seedlock_stage")
}

#' @export
print.seedlock_stage <- function(x, ...) {
  cat(sprintf("<seedlock stage> %s: %s\n", x$name,
              paste(sprintf("%s=%d", names(x$seeds), x$seeds), collapse = ", ")))
  if (!is.na(x$seed)) {
    cat(sprintf("  R seeded with set.seed(%d)%s\n", x$seed, if (is.null(x$rank)) "" else sprintf(" (rank %d)", x$rank)))
  }
  invisible(x)
}

# Under `seedlock run`, tell the launcher that this process seeded R (see python/seedlock/seeding/_seedstatus.py).
report_seeded <- function(via, stage, what) {
  dir <- Sys.getenv("SEEDLOCK_STATUS")
  if (!nzchar(dir)) return(invisible(FALSE))
  line <- sprintf('{"event":"action","via":%s,"stage":%s,"framework":"r","status":"applied","what":%s,"detail":""}',
                  json_string(via), json_string(stage), json_string(what))
  ok <- tryCatch({
    cat(line, "\n", file = file.path(dir, sprintf("r-%d.jsonl", Sys.getpid())), append = TRUE, sep = "")
    TRUE
  }, error = function(e) FALSE, warning = function(w) FALSE)
  invisible(ok)
}

json_string <- function(x) {
  paste0('"', gsub('(["\\\\])', "\\\\\\1", gsub("[[:cntrl:]]", " ", x)), '"')
}
