#' Seeds of a stage
#'
#' `stage_seed()` returns one framework's seed in a stage (by default R's), `stage_seeds()` every
#' framework's, named. Asking for a stage the lock does not have is an `unknown-stage` error, for a
#' framework the stage does not list a `framework-not-in-stage` error.
#'
#' @param lock A lock from [load_seedlock()] or [resolve_seedlock()], or a file path.
#' @param stage The stage name.
#' @param framework A framework the stage lists.
#' @return An integer (`stage_seed()`) or a named integer vector (`stage_seeds()`).
#' @examples
#' lock <- load_seedlock(system.file("extdata", "spec", "examples", "classic.json", package = "seedlock"))
#' stage_seeds(lock, "train")
#' stage_seed(lock, "train", "numpy")
#' @export
stage_seed <- function(lock, stage, framework = "r") {
  st <- lock_stage(as_lock(lock), stage)
  if (!framework %in% names(st$frameworks)) {
    seedlock_abort("framework-not-in-stage", sprintf("Stage '%s' does not list framework '%s'%s (it lists %s)", stage, framework,
                                            did_you_mean(framework, names(st$frameworks)),
                                            paste(names(st$frameworks), collapse = ", ")),
                   pointer_join("/stages", stage, "frameworks"))
  }
  st$frameworks[[framework]]$seed
}

#' @rdname stage_seed
#' @export
stage_seeds <- function(lock, stage) {
  st <- lock_stage(as_lock(lock), stage)
  vapply(st$frameworks, function(fw) fw$seed, integer(1))
}

lock_stage <- function(lock, stage) {
  if (!is.character(stage) || length(stage) != 1L || is.na(stage)) {
    stop("`stage` must be a single stage name.", call. = FALSE)
  }
  if (!stage %in% names(lock$stages)) {
    seedlock_abort("unknown-stage", sprintf("No stage '%s'%s (stages: %s)", stage, did_you_mean(stage, names(lock$stages)),
                                            paste(names(lock$stages), collapse = ", ")),
                   pointer_join("/stages", stage))
  }
  lock$stages[[stage]]
}

source_text <- function(x) if (identical(x$source, "env")) paste("env", x$variable) else x$source

#' @export
print.seedlock_lock <- function(x, ...) {
  cat(sprintf("<seedlock lock> root seed %d (%s)\n", x$root$seed, source_text(x$root)))
  for (name in names(x$stages)) {
    st <- x$stages[[name]]
    cat(sprintf("  %-12s %11d  %s\n", name, st$seed, source_text(st)))
    for (fw in names(st$frameworks)) {
      cat(sprintf("    %-10s %11d  %s\n", fw, st$frameworks[[fw]]$seed, source_text(st$frameworks[[fw]])))
    }
  }
  invisible(x)
}

#' @export
print.seedlock_manifest <- function(x, ...) {
  cat(sprintf("<seedlock manifest> seed %s, stages: %s\n", format(x$seed), paste(names(x$stages), collapse = ", ")))
  invisible(x)
}

# The lock as the JSON structure of SPEC.md section 5 (variable only for env seeds).
lock_document <- function(lock) {
  entry <- function(x) {
    out <- list(seed = x$seed, source = x$source)
    if (!is.null(x$variable)) out$variable <- x$variable
    out
  }
  stages <- lapply(lock$stages, function(st) {
    fws <- lapply(st$frameworks, function(fw) c(entry(fw), list(settings = fw$settings)))
    c(entry(st), list(frameworks = fws))
  })
  manifest <- list(sha256 = lock$manifest$sha256)
  if (!is.null(lock$manifest$path)) manifest$path <- lock$manifest$path
  out <- list(`lock-version` = lock$version, derivation = lock$derivation, root = entry(lock$root),
              stages = stages, manifest = manifest)
  if (!is.null(lock$provenance)) out$provenance <- lock$provenance
  out
}

#' Write a lock
#'
#' Writes a lock as JSON that every seedlock binding reads back. The file is written to a
#' temporary file in the same directory and renamed over `path`, so a reader sees the old lock or
#' the new one, never half of one.
#'
#' @param lock A lock from [resolve_seedlock()] or [load_seedlock()].
#' @param path Where to write it.
#' @return `path`, invisibly.
#' @examples
#' lock <- resolve_seedlock(parse_seedlock(
#'   '{"version": "1.0", "seed": 42, "stages": {"split": {"frameworks": ["r"]}}}'), env = character(0))
#' path <- tempfile(fileext = ".json")
#' write_seedlock(lock, path)
#' read_seedlock(path)
#' @export
write_seedlock <- function(lock, path) {
  if (!inherits(lock, "seedlock_lock")) stop("`lock` must be a seedlock lock.", call. = FALSE)
  doc <- lock_document(lock)
  # Settings objects must stay objects even when empty (caffe), and null must stay null.
  doc$stages <- lapply(doc$stages, function(st) {
    st$frameworks <- lapply(st$frameworks, function(fw) {
      if (length(fw$settings) == 0L) fw$settings <- structure(list(), names = character(0))
      fw
    })
    st
  })
  text <- jsonlite::toJSON(doc, auto_unbox = TRUE, pretty = 2, null = "null", digits = NA)
  tmp <- file.path(dirname(path), paste0(".", basename(path), ".", Sys.getpid(), ".tmp"))
  ok <- tryCatch({
    writeLines(text, tmp, useBytes = TRUE)
    file.rename(tmp, path)
  }, error = function(e) FALSE, warning = function(w) FALSE)
  if (!isTRUE(ok)) {
    unlink(tmp)
    seedlock_abort("io-error", sprintf("Cannot write %s", path))
  }
  invisible(path)
}
