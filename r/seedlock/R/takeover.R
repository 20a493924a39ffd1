# Take-over mode (SPEC.md section 6.4): a program's own seeding call seeds a seed derived from the lock.

#' The seed a taken-over seeding call uses instead of the program's value
#'
#' Under `seedlock run --take-over`, a program's own `set.seed(v)` (and its Python counterparts
#' `np.random.seed(v)`, `torch.manual_seed(v)`, ...) seeds `derive_seed(F, c("takeover", label(v)))`
#' with `F` the stage's seed for that framework: distinct values stay distinct, so per-epoch reseeding
#' keeps its structure, and the program follows the lock. `label(v)` is the decimal form of a whole
#' number `v >= 0`, `"n"` and the decimal form of `-v` for a negative one, and `"none"` for `NULL`
#' (reseeding from the clock).
#'
#' @param seed The framework seed `F`.
#' @param value The program's value: a whole number or `NULL`.
#' @return An integer seed, or `NA` when the value is not taken over (not a whole number, or a label
#'   longer than 63 characters).
#' @examples
#' takeover_seed(1668514852, 42)
#' takeover_seed(1668514852, NULL)
#' @export
takeover_seed <- function(seed, value) {
  label <- takeover_label(value)
  if (is.na(label)) return(NA_integer_)
  derive_seed(seed, c("takeover", label))
}

takeover_label <- function(value) {
  if (is.null(value)) return("none")
  if (!is.numeric(value) || is.logical(value) || length(value) != 1L || is.na(value) || !is.finite(value) ||
      value != floor(value)) {
    return(NA_character_)
  }
  # Doubles hold whole numbers exactly up to 2^53; sprintf("%.0f") writes them without exponent.
  text <- if (value >= 0) sprintf("%.0f", value) else paste0("n", sprintf("%.0f", -value))
  if (abs(value) > 2^53 || nchar(text) > 63L) NA_character_ else text
}
