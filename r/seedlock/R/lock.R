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
    out <- c(entry(st), list(frameworks = fws))
    if (!is.null(st$take_over)) out$take_over <- st$take_over
    out
  })
  manifest <- list(sha256 = lock$manifest$sha256)
  if (!is.null(lock$manifest$path)) manifest$path <- lock$manifest$path
  out <- list(`lock-version` = lock$version, derivation = lock$derivation, root = entry(lock$root),
              stages = stages, manifest = manifest)
  # A lock of rules 1 keeps the shape seedlock 0.1 wrote: no member means rules 1 (SPEC.md 5.3).
  if (!is.null(lock$rules) && lock$rules != 1L) out$rules <- lock$rules
  if (!is.null(lock$provenance)) out$provenance <- lock$provenance
  out
}

#' Write a lock
#'
#' Writes a lock as JSON that every seedlock binding reads back. The file is written to a
#' temporary file in the same directory and renamed over `path`, so a reader sees the old lock or
#' the new one, never half of one. A symbolic link is followed and its target replaced (the link
#' stays); a character device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written
#' through, never replaced; a directory, block device or socket is an `io-error`.
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
  write_file_atomic(paste0(text, "\n"), path)
  invisible(path)
}

# A rename replaces whatever sits at the path, so what the path names decides how to write
# (the same rules as Python's seedlock.spec._io.write_atomic).
write_file_atomic <- function(text, path) {
  hops <- link_chain(path)
  if (file.exists(path) && any(grepl("^(/proc/|/dev/fd/|/dev/stdout|/dev/stderr)", hops))) {
    # /dev/stdout and friends name the process's open file (a pipe, a terminal, the file the shell
    # opened): write to it, appending so what the shell already wrote there stays.
    return(write_through(text, path))
  }
  real <- hops[[length(hops)]]
  # The chain's last hop is no link, so no following here (fs follows /proc links forever).
  type <- as.character(fs::file_info(real, follow = FALSE)$type)
  if (!is.na(type) && type != "file") {
    if (type %in% c("directory", "block_device", "socket")) {
      seedlock_abort("io-error", sprintf("Cannot write %s: it is a %s, not a file", path, gsub("_", " ", type, fixed = TRUE)))
    }
    return(write_through(text, path))  # a character device or FIFO: renaming over it would destroy it
  }
  tmp <- file.path(dirname(real), paste0(".", basename(real), ".", Sys.getpid(), ".tmp"))
  ok <- tryCatch({
    writeBin(charToRaw(enc2utf8(text)), tmp)
    file.rename(tmp, real)
  }, error = function(e) FALSE, warning = function(w) FALSE)
  if (!isTRUE(ok)) {
    unlink(tmp)
    seedlock_abort("io-error", sprintf("Cannot write %s", path))
  }
  invisible(path)
}

write_through <- function(text, path) {
  # Append: on a device or FIFO the same as truncating; through /proc/self/fd it keeps what is there.
  con <- tryCatch(file(path, open = "ab", raw = TRUE), error = function(e) NULL, warning = function(w) NULL)
  if (is.null(con)) seedlock_abort("io-error", sprintf("Cannot write %s", path))
  on.exit(close(con))
  ok <- tryCatch({
    writeBin(charToRaw(enc2utf8(text)), con)
    TRUE
  }, error = function(e) FALSE, warning = function(w) FALSE)
  if (!isTRUE(ok)) seedlock_abort("io-error", sprintf("Cannot write %s", path))
  invisible(path)
}

# `path`, then each symbolic link's destination in turn (the last may not exist yet), so the rename
# replaces the linked file and the link survives.
link_chain <- function(path) {
  hops <- list(if (startsWith(path, "/")) path else file.path(getwd(), path))
  repeat {
    here <- hops[[length(hops)]]
    link <- Sys.readlink(here)
    if (is.na(link) || !nzchar(link)) return(unlist(hops))  # NA: cannot be read, so no link to follow
    if (length(hops) > 40L) seedlock_abort("io-error", sprintf("Cannot write %s: too many levels of symbolic links", path))
    hops[[length(hops) + 1L]] <- if (startsWith(link, "/")) link else file.path(dirname(here), link)
  }
}
