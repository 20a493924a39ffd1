# Derivation sha256-v1 (SPEC.md section 3), vectorised over label paths.

seed_max <- 2147483647
label_pattern <- "^[a-z0-9][a-z0-9_.-]{0,62}$"

sha256_hex <- function(x) {
  # getVDigest() hashes a whole character vector in one call (digest >= 0.6.16).
  vdigest <- digest::getVDigest(algo = "sha256")
  vdigest(x, serialize = FALSE)
}

check_seed <- function(seed, pointer = "") {
  if (!is.numeric(seed) || length(seed) != 1L || is.logical(seed)) {
    seedlock_abort("invalid-type", sprintf("Unexpected type %s (expected integer)", json_type(seed)), pointer)
  }
  if (is.na(seed) || (is.finite(seed) && seed != floor(seed))) {
    seedlock_abort("invalid-type", sprintf("Unexpected non-integral number %s (expected integer)", format(seed)), pointer)
  }
  if (!is.finite(seed) || seed < 0 || seed > seed_max) {
    seedlock_abort("seed-out-of-range", sprintf("Seed %s is outside [0, %.0f]", format_number(seed), seed_max), pointer)
  }
  invisible(seed)
}

format_number <- function(x) {
  if (is.finite(x) && x == floor(x) && abs(x) < 1e16) sprintf("%.0f", x) else format(x, digits = 17)
}

check_labels <- function(labels, pointer = "/labels") {
  if (!is.character(labels) || length(labels) == 0L) {
    seedlock_abort("invalid-label", "Derivation needs at least one label")
  }
  bad <- which(is.na(labels) | !grepl(label_pattern, labels, perl = TRUE) | !validUTF8(labels) |
                 vapply(labels, function(l) any(utf8ToInt(l) > 127L), logical(1)))
  if (length(bad)) {
    seedlock_abort("invalid-label", sprintf(
      "Invalid label '%s' (expected 1-63 of a-z 0-9 _ . - starting with a-z or 0-9)", labels[[bad[[1]]]]),
      pointer_join(pointer, bad[[1]] - 1L))
  }
  invisible(labels)
}

#' Derive seeds by name
#'
#' `derive_seed(seed, labels)` is the first 31 bits of
#' `SHA-256("seedlock/v1:<seed>:<labels joined by '/'>")` (SPEC.md section 3): the same number the
#' Python binding and `seedlock derive` print. Give `labels` as a character vector for one label path,
#' or as a list of character vectors to derive many seeds from the same parent in one call.
#'
#' @param seed An integer seed in `[0, 2147483647]`.
#' @param labels A character vector (one label path) or a list of them.
#' @return An integer vector with one seed per label path.
#' @examples
#' derive_seed(42, "train")                      # 1677747947
#' derive_seed(42, list("train", "test", c("train", "numpy")))
#' @export
derive_seed <- function(seed, labels) {
  check_seed(seed)
  paths <- if (is.list(labels)) labels else list(labels)
  if (length(paths) == 0L) return(integer(0))
  lengths <- lengths(paths)
  if (any(lengths == 0L)) seedlock_abort("invalid-label", "Derivation needs at least one label")
  flat <- unlist(paths, use.names = FALSE)
  if (!is.character(flat)) seedlock_abort("invalid-label", "Labels must be character strings")
  check_labels(flat)
  joined <- if (all(lengths == 1L)) flat else vapply(paths, paste, character(1), collapse = "/")
  hex <- sha256_hex(paste0("seedlock/v1:", sprintf("%.0f", seed), ":", joined))
  # Clear the top bit of the first byte: 31 bits always fit R's signed integers.
  high <- strtoi(substr(hex, 1L, 1L), 16L) %% 8L
  low <- strtoi(substr(hex, 2L, 8L), 16L)
  as.integer(high * 268435456 + low)
}

#' Seeds of distributed ranks and data-loader workers
#'
#' The label paths of SPEC.md section 4.3 under a framework seed `F`:
#' rank `r` uses `derive_seed(F, c("rank", r))`, worker `w` of rank `r` uses
#' `derive_seed(F, c("rank", r, "worker", w))` (`r = 0` when not distributed).
#'
#' @param seed A framework seed.
#' @param rank,worker Non-negative whole numbers.
#' @return An integer seed.
#' @examples
#' rank_seed(1677747947, 3)
#' worker_seed(1677747947, worker = 2, rank = 3)
#' @export
rank_seed <- function(seed, rank) {
  derive_seed(seed, c("rank", index_label(rank, "rank")))
}

#' @rdname rank_seed
#' @export
worker_seed <- function(seed, worker, rank = 0) {
  derive_seed(seed, c("rank", index_label(rank, "rank"), "worker", index_label(worker, "worker")))
}

#' @rdname rank_seed
#' @param test_id A test's id (e.g. pytest's node id, or "file::test name" for testthat).
#' @param phase The phase of the test: `"call"` (its body), `"setup"` or `"teardown"`.
#' @details `test_seed(F, id)` is `T = derive_seed(F, c("pytest", h))` with `h` the first 16 hex digits of
#'   the SHA-256 of `id`: the seed the Python pytest plugin gives that test's body. Its setup and teardown
#'   get `derive_seed(T, c("phase", phase))` (spec section 4.3), so fixtures never repeat the body's draws.
#' @export
test_seed <- function(seed, test_id, phase = "call") {
  if (!is.character(test_id) || length(test_id) != 1L || is.na(test_id)) {
    seedlock_abort("invalid-value", "`test_id` must be a single string")
  }
  phases <- c("setup", "call", "teardown")
  if (!is.character(phase) || length(phase) != 1L || is.na(phase) || !(phase %in% phases)) {
    seedlock_abort("invalid-value", sprintf("`phase` must be one of %s", paste(phases, collapse = ", ")))
  }
  seed <- derive_seed(seed, c("pytest", substr(sha256_hex(enc2utf8(test_id)), 1L, 16L)))
  if (phase == "call") seed else derive_seed(seed, c("phase", phase))
}

index_label <- function(value, name) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value < 0 || value != floor(value)) {
    seedlock_abort("invalid-value", sprintf("`%s` must be a non-negative whole number, not %s", name, format(value)))
  }
  sprintf("%.0f", value)
}
