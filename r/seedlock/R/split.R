#' The R-compatible uniform stream
#'
#' `runif(n)` after `set.seed(seed)` with the default kinds (Mersenne-Twister, Inversion,
#' Rejection) -- the stream the Python binding's `seedlock.rcompat.r_uniform()` reproduces bit for
#' bit (SPEC.md section 9). The caller's RNG state is left untouched.
#'
#' @param seed A seed in `[0, 2147483647]`.
#' @param n The number of draws.
#' @return A double vector.
#' @examples
#' r_uniform(42, 3)
#' @export
r_uniform <- function(seed, n) {
  check_seed(seed, "/seed")
  check_count(n)
  state <- rng_state()
  on.exit(restore_rng_state(state))
  set.seed(seed, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  stats::runif(n)
}

#' Portable split
#'
#' Partitions rows `1..n` into named parts by fractions so that R and Python select identical
#' rows from the same seed (SPEC.md section 10): rows are ordered by the R-compatible uniform stream
#' (ties by row), and part boundaries are `floor(n * cumsum(fractions) + 0.5)`. Indices here are
#' 1-based; the Python binding returns the same rows 0-based.
#'
#' @param n The number of rows.
#' @param parts Fractions: a named numeric vector (`c(train = 0.8, test = 0.2)`) or a list of
#'   `list(name, fraction)` pairs. Names are labels; fractions are positive and sum to 1.
#' @param seed A seed in `[0, 2147483647]`, e.g. `stage_seed(lock, "split")`.
#' @return A named list of integer vectors of row indices, in permutation order.
#' @examples
#' portable_split(10, c(train = 0.8, val = 0.1, test = 0.1), seed = 42)
#' @export
portable_split <- function(n, parts, seed) {
  check_count(n)
  check_seed(seed, "/seed")
  parts <- check_parts(parts)
  u <- r_uniform(seed, n)
  perm <- order(u, method = "radix")  # stable: ties keep row order
  fractions <- unname(parts)
  bounds <- c(0, pmin(n, floor(n * cumsum(fractions) + 0.5)))
  bounds[length(bounds)] <- n
  out <- vector("list", length(parts))
  names(out) <- names(parts)
  for (k in seq_along(parts)) {
    out[[k]] <- if (bounds[[k + 1]] > bounds[[k]]) perm[(bounds[[k]] + 1):bounds[[k + 1]]] else integer(0)
  }
  out
}

check_count <- function(n) {
  if (!is.numeric(n) || length(n) != 1L) {
    seedlock_abort("invalid-type", sprintf("Unexpected type %s (expected integer)", json_type(n)), "/n")
  }
  if (is.na(n) || n != floor(n) || n < 0 || n > seed_max) {
    seedlock_abort("invalid-value", sprintf("Row count %s is outside [0, 2147483647]", format(n)), "/n")
  }
  invisible(n)
}

check_parts <- function(parts) {
  if (is.list(parts) && is.null(names(parts))) {
    pairs <- parts
  } else if (is.numeric(parts) && !is.null(names(parts))) {
    pairs <- Map(function(name, fraction) list(name, fraction), names(parts), unname(parts))
  } else {
    stop("`parts` must be a named numeric vector or a list of list(name, fraction) pairs.", call. = FALSE)
  }
  if (length(pairs) == 0L) seedlock_abort("invalid-value", "A split needs at least one part", "/parts")
  out <- numeric(0)
  for (k in seq_along(pairs)) {
    pair <- pairs[[k]]
    name <- pair[[1]]
    fraction <- pair[[2]]
    name_pointer <- pointer_join("/parts", k - 1L, 0L)
    if (!is.character(name) || length(name) != 1L) wrong_type(name, "string", name_pointer)
    check_stage_name(name, name_pointer)
    if (name %in% names(out)) seedlock_abort("invalid-value", sprintf("Part '%s' is named twice", name), name_pointer)
    fraction_pointer <- pointer_join("/parts", k - 1L, 1L)
    if (!is.numeric(fraction) || length(fraction) != 1L) wrong_type(fraction, "number", fraction_pointer)
    if (!is.finite(fraction) || fraction <= 0) {
      seedlock_abort("invalid-value", sprintf("Fraction %s is not a positive number", format(fraction)), fraction_pointer)
    }
    out[[name]] <- fraction
  }
  total <- cumsum(unname(out))[[length(out)]]
  if (abs(total - 1) > 1e-9) seedlock_abort("invalid-value", sprintf("Fractions sum to %s, not 1", format(total, digits = 17)), "/parts")
  out
}
