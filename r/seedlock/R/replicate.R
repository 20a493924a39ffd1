#' Replicates of a stage, and metrics of a run
#'
#' Replicate `k` of a stage (SPEC.md section 13) is the stage with other seeds: replicate 0 is the
#' stage as locked; in replicate `k >= 1` every framework `vary` names has the seed
#' `derive_seed(F, c("replicate", k))` (by default every framework whose seed is not pinned in the
#' manifest). A stream name (`"data"`) or `"framework:stream"` varies that named stream of the
#' Python frameworks only; R's seeds are then held. `replicate_seedlock()` returns the lock with the
#' stage's seeds replaced by the replicate's, so [set_seedlock()], [seed_epoch()] and the parallel
#' streams give the replicate's numbers. Under `seedlock run --replicate K`, [seedlock_from_env()]
#' applies the replicate the launcher set (`SEEDLOCK_REPLICATE`, `SEEDLOCK_VARY`) by itself.
#'
#' `replicate_task_index()` is the replicate index of an engine's task (`SEEDLOCK_REPLICATE_INDEX`,
#' Slurm's `SLURM_ARRAY_TASK_ID`, Kubernetes' `JOB_COMPLETION_INDEX`, first set wins) and its attempt
#' (`SEEDLOCK_ATTEMPT`, `SLURM_RESTART_COUNT`; never part of a seed).
#'
#' `log_metric(name, value, step)` records a metric value with the run: it appends one JSON line to
#' the file `SEEDLOCK_METRICS` names (set by `seedlock run --record` and `seedlock replicate`), which
#' the launcher stores in the run ledger. Outside such a run it warns once and records nothing.
#'
#' @param lock A lock from [load_seedlock()] or [resolve_seedlock()], or a file path.
#' @param stage The stage name.
#' @param replicate The replicate index, a whole number in `[0, 2147483647]`.
#' @param vary Names of what varies (frameworks, stream names, `framework:stream`); empty: everything.
#' @param env A named character vector of environment variables (default: this process's).
#' @param name A metric name (a non-empty string of at most 200 characters).
#' @param value A finite number.
#' @param step A non-negative whole number, or `NULL`.
#' @return `replicate_seedlock()`: a lock. `replicate_task_index()`: a list with `replicate` and
#'   `attempt`. `log_metric()`: `TRUE` invisibly when recorded, `FALSE` otherwise.
#' @examples
#' lock <- resolve_seedlock(parse_seedlock(
#'   '{"version": "1.1", "seed": 42, "stages": {"train": {"frameworks": ["r", "numpy"]}}}'), env = character(0))
#' stage_seeds(replicate_seedlock(lock, "train", 3), "train")
#' stage_seeds(replicate_seedlock(lock, "train", 3, vary = "numpy"), "train")
#' replicate_task_index(c(SLURM_ARRAY_TASK_ID = "7", SLURM_RESTART_COUNT = "1"))
#' @export
replicate_seedlock <- function(lock, stage, replicate, vary = character(0)) {
  lock <- as_lock(lock)
  st <- lock_stage(lock, stage)
  k <- replicate_index(replicate)
  plan <- resolve_vary(st, stage, vary)
  if (k > 0) {
    for (fw in plan$frameworks) {
      st$frameworks[[fw]]$seed <- derive_seed(st$frameworks[[fw]]$seed, c("replicate", sprintf("%.0f", k)))
    }
  }
  st$replicate <- list(index = k, vary = plan$names, streams = plan$streams)
  lock$stages[[stage]] <- st
  lock
}

replicate_index <- function(value, pointer = "/replicate") {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value < 0 || value > 2147483647 ||
      value != floor(value)) {
    seedlock_abort("invalid-value", sprintf("A replicate index is a whole number in [0, 2147483647], not %s",
                                            format(value)), pointer)
  }
  value
}

# The registry's (registry-data.R, generated from spec/registry.json).
stream_frameworks <- registry_stream_frameworks
framework_names <- registry_frameworks

resolve_vary <- function(st, stage, vary) {
  fws <- names(st$frameworks)
  if (length(vary) == 0L) {
    pinned <- fws[vapply(st$frameworks, function(f) identical(f$source, "manifest"), logical(1))]
    return(list(names = character(0), frameworks = setdiff(fws, pinned), streams = list(), held = pinned))
  }
  if (!is.character(vary)) seedlock_abort("invalid-type", "`vary` must be a character vector", "/vary")
  varied <- character(0)
  streams <- list()
  not_listed <- function(fw, pointer) {
    seedlock_abort("framework-not-in-stage", sprintf(
      "vary names framework '%s', which stage '%s' does not list (it lists %s)", fw, stage,
      paste(fws, collapse = ", ")), pointer)
  }
  for (i in seq_along(vary)) {
    name <- trimws(vary[[i]])
    pointer <- pointer_join("/vary", i - 1L)
    if (grepl(":", name, fixed = TRUE)) {
      fw <- sub(":.*$", "", name)
      s <- sub("^[^:]*:", "", name)
      if (!fw %in% fws) not_listed(fw, pointer)
      if (!fw %in% stream_frameworks) {
        seedlock_abort("invalid-value", sprintf("vary %s: framework '%s' has no named streams", name, fw), pointer)
      }
      if (!grepl(label_pattern, s, perl = TRUE)) {
        seedlock_abort("invalid-label", sprintf("Invalid stream name '%s' in vary", s), pointer)
      }
      streams[[fw]] <- union(streams[[fw]], s)
    } else if (name %in% fws) {
      varied <- union(varied, name)
    } else if (name %in% framework_names || startsWith(name, "x-")) {
      not_listed(name, pointer)
    } else {
      if (!grepl(label_pattern, name, perl = TRUE)) {
        seedlock_abort("invalid-label", sprintf("Invalid stream name '%s' in vary", name), pointer)
      }
      owners <- intersect(fws, stream_frameworks)
      if (length(owners) == 0L) {
        seedlock_abort("invalid-value", sprintf(
          "vary %s: stage '%s' lists no framework with named streams, so nothing would vary", name, stage), pointer)
      }
      for (fw in owners) streams[[fw]] <- union(streams[[fw]], name)
    }
  }
  list(names = unique(trimws(vary)), frameworks = varied, streams = streams[setdiff(names(streams), varied)],
       held = character(0))
}

#' @rdname replicate_seedlock
#' @export
replicate_task_index <- function(env = Sys.getenv()) {
  env <- as.list(env)
  get <- function(name) {
    value <- env[[name]]
    if (is.null(value) || is.na(value)) "" else as.character(value)
  }
  decimal <- "^(0|[1-9][0-9]*)$"
  index <- NULL
  for (variable in c("SEEDLOCK_REPLICATE_INDEX", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")) {
    value <- get(variable)
    if (nzchar(value)) {
      if (!grepl(decimal, value) || as.numeric(value) > 2147483647) {
        seedlock_abort("invalid-env-value", sprintf("%s='%s' is not a replicate index", variable, value), "/replicate")
      }
      index <- as.numeric(value)
      break
    }
  }
  if (is.null(index)) {
    seedlock_abort("missing-environment", paste(
      "the task index is in none of SEEDLOCK_REPLICATE_INDEX, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX"), "/replicate")
  }
  attempt <- 0
  for (variable in c("SEEDLOCK_ATTEMPT", "SLURM_RESTART_COUNT")) {
    value <- get(variable)
    if (nzchar(value)) {
      if (!grepl(decimal, value)) {
        seedlock_abort("invalid-env-value", sprintf("%s='%s' is not a non-negative integer", variable, value), "/attempt")
      }
      attempt <- as.numeric(value)
      break
    }
  }
  list(replicate = index, attempt = attempt)
}

# The lock as `seedlock run --replicate` set it for this process (SPEC.md section 13.2).
replicate_from_env <- function(lock, stage) {
  raw <- Sys.getenv("SEEDLOCK_REPLICATE")
  if (!nzchar(raw)) return(lock)
  if (!grepl("^(0|[1-9][0-9]*)$", raw) || as.numeric(raw) > 2147483647) {
    seedlock_abort("invalid-env-value", sprintf("SEEDLOCK_REPLICATE='%s' is not a replicate index", raw), "/replicate")
  }
  vary <- strsplit(Sys.getenv("SEEDLOCK_VARY"), ",", fixed = TRUE)[[1]]
  vary <- trimws(vary[nzchar(trimws(vary))])
  replicate_seedlock(lock, stage, as.numeric(raw), vary)
}

metric_warned <- new.env(parent = emptyenv())

#' @rdname replicate_seedlock
#' @export
log_metric <- function(name, value, step = NULL) {
  if (!is.character(name) || length(name) != 1L || is.na(name) || !nzchar(name) || nchar(name) > 200L) {
    seedlock_abort("invalid-value", "A metric name is a non-empty string of at most 200 characters", "/name")
  }
  if (!is.numeric(value) || length(value) != 1L || !is.finite(value)) {
    seedlock_abort("invalid-value", sprintf("Metric '%s': the value must be one finite number", name), "/value")
  }
  if (!is.null(step) && (!is.numeric(step) || length(step) != 1L || is.na(step) || step < 0 || step != floor(step))) {
    seedlock_abort("invalid-value", sprintf("Metric '%s': the step must be a non-negative whole number", name), "/step")
  }
  path <- Sys.getenv("SEEDLOCK_METRICS")
  if (!nzchar(path)) {
    if (is.null(metric_warned$done)) {
      metric_warned$done <- TRUE
      warning(sprintf("log_metric('%s'): not recorded, SEEDLOCK_METRICS is not set (run with `seedlock run --record` or `seedlock replicate`)",
                      name), call. = FALSE)
    }
    return(invisible(FALSE))
  }
  line <- sprintf('{"name":%s,"value":%s,"step":%s}', jsonlite::toJSON(name, auto_unbox = TRUE),
                  format(value, digits = 17), if (is.null(step)) "null" else sprintf("%.0f", step))
  # One write of a whole line to a file opened for appending: lines of several processes stay whole.
  con <- file(path, open = "ab")
  on.exit(close(con))
  writeBin(charToRaw(paste0(line, "\n")), con)
  invisible(TRUE)
}
