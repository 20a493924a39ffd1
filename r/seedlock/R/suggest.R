# "Did you mean" for misspelt names (SPEC.md section 7.1), the same rule as the Python binding.

# Optimal string alignment distance: insertions, deletions, substitutions and adjacent
# transpositions each cost 1 ("trian" -> "train" is 1). utils::adist() has no transpositions.
osa_distance <- function(a, b) {
  a <- utf8ToInt(a)
  b <- utf8ToInt(b)
  d <- matrix(0L, length(a) + 1L, length(b) + 1L)
  d[, 1] <- seq_len(length(a) + 1L) - 1L
  d[1, ] <- seq_len(length(b) + 1L) - 1L
  for (i in seq_along(a)) {
    for (j in seq_along(b)) {
      cost <- if (a[[i]] == b[[j]]) 0L else 1L
      d[i + 1L, j + 1L] <- min(d[i, j + 1L] + 1L, d[i + 1L, j] + 1L, d[i, j] + cost)
      if (i > 1L && j > 1L && a[[i]] == b[[j - 1L]] && a[[i - 1L]] == b[[j]]) {
        d[i + 1L, j + 1L] <- min(d[i + 1L, j + 1L], d[i - 1L, j - 1L] + 1L)
      }
    }
  }
  d[length(a) + 1L, length(b) + 1L]
}

# The candidate nearest to `name` ignoring case, within max(1, nchar(candidate) %/% 3) edits; ties go
# to the first in code-point order. NULL when none is near.
closest_name <- function(name, candidates) {
  best <- NULL
  best_d <- Inf
  for (candidate in sort(unique(candidates), method = "radix")) {
    d <- osa_distance(tolower(name), tolower(candidate))
    if (d <= max(1L, nchar(candidate) %/% 3L) && d < best_d) {
      best <- candidate
      best_d <- d
    }
  }
  best
}

did_you_mean <- function(name, candidates) {
  match <- closest_name(name, candidates)
  if (is.null(match) || identical(match, name)) "" else sprintf(" (did you mean '%s'?)", match)
}
