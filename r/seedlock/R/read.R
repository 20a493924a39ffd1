#' Read a seedlock manifest or lock
#'
#' `read_seedlock()` reads a file and validates it per the seedlock specification: the same
#' documents the Python binding rejects are rejected here, with the same error code (a condition of
#' class `seedlock_error_<code>`, the code with `-` written as `_`, e.g. `seedlock_error_unknown_stage`
#' for `unknown-stage`, see [seedlock_error]; fields `code` and `pointer`). A document with a
#' `lock-version` member is a lock, anything else a manifest. `parse_seedlock()` does the same for
#' JSON text; `load_seedlock()` returns a lock either way, resolving a manifest with
#' [resolve_seedlock()].
#'
#' @param path Path of a JSON file.
#' @param text JSON text (a string or raw bytes).
#' @param env Environment variables for resolving a manifest; default `Sys.getenv()`.
#' @return A `seedlock_manifest` or `seedlock_lock` (`load_seedlock()`: always a lock).
#' @examples
#' m <- parse_seedlock('{"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["r"]}}}')
#' m
#' lock <- load_seedlock(system.file("extdata", "spec", "examples", "classic.json", package = "seedlock"))
#' @export
read_seedlock <- function(path) {
  from_document(parse_document(read_document_bytes(path)), path)
}

#' @rdname read_seedlock
#' @export
parse_seedlock <- function(text) {
  if (!(is.character(text) && length(text) == 1L) && !is.raw(text)) {
    stop("`text` must be a single string or raw bytes.", call. = FALSE)
  }
  from_document(parse_document(text), NULL)
}

#' @rdname read_seedlock
#' @export
load_seedlock <- function(path, env = NULL) {
  doc <- read_seedlock(path)
  if (inherits(doc, "seedlock_lock")) doc else resolve_seedlock(doc, env = env)
}

from_document <- function(doc, path) {
  if (is_object(doc) && "lock-version" %in% names(doc)) validate_lock(doc, path) else validate_manifest(doc, path)
}

as_lock <- function(lock) {
  if (inherits(lock, "seedlock_lock")) return(lock)
  if (is.character(lock) && length(lock) == 1L) return(load_seedlock(lock))
  stop("`lock` must be a seedlock lock or the path of a lock or manifest.", call. = FALSE)
}
