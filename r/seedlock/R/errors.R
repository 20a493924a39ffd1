# Errors carry a spec error code (SPEC.md section 7) and the JSON pointer of the offending member.
# Each code has its own condition class, so callers can catch one fault with tryCatch() and read
# `code`/`pointer` from the condition. R class names cannot usefully contain "-" (tryCatch()
# handlers are named arguments), so the class is the code with "-" written as "_". The codes are
# those of spec/registry.json: `seedlock_codes` is in registry-data.R, generated from it.

#' Condition classes of seedlock errors
#'
#' Every error the package signals is a condition of class `seedlock_error` and of one class per
#' error code of SPEC.md section 7: the code with each `-` written as `_`, after `seedlock_error_`.
#' The condition's fields `code` (the code as the specification spells it, e.g. `"unknown-stage"`),
#' `pointer` (the JSON pointer of the offending member) and `problem` (the message without its
#' location) are the same as the Python binding's; `invalid-json` errors also carry `line` and
#' `column` when the fault has a position.
#'
#' | code | condition class |
#' |---|---|
#' | `invalid-json` | `seedlock_error_invalid_json` |
#' | `duplicate-key` | `seedlock_error_duplicate_key` |
#' | `invalid-type` | `seedlock_error_invalid_type` |
#' | `invalid-value` | `seedlock_error_invalid_value` |
#' | `missing-field` | `seedlock_error_missing_field` |
#' | `unknown-field` | `seedlock_error_unknown_field` |
#' | `unsupported-version` | `seedlock_error_unsupported_version` |
#' | `unknown-derivation` | `seedlock_error_unknown_derivation` |
#' | `seed-out-of-range` | `seedlock_error_seed_out_of_range` |
#' | `invalid-seed` | `seedlock_error_invalid_seed` |
#' | `invalid-label` | `seedlock_error_invalid_label` |
#' | `unknown-framework` | `seedlock_error_unknown_framework` |
#' | `duplicate-framework` | `seedlock_error_duplicate_framework` |
#' | `unlisted-framework` | `seedlock_error_unlisted_framework` |
#' | `env-name-collision` | `seedlock_error_env_name_collision` |
#' | `invalid-env-value` | `seedlock_error_invalid_env_value` |
#' | `unknown-stage-variable` | `seedlock_error_unknown_stage_variable` |
#' | `lock-mismatch` | `seedlock_error_lock_mismatch` |
#' | `unknown-stage` | `seedlock_error_unknown_stage` |
#' | `framework-not-in-stage` | `seedlock_error_framework_not_in_stage` |
#' | `not-a-lock` | `seedlock_error_not_a_lock` |
#' | `not-a-manifest` | `seedlock_error_not_a_manifest` |
#' | `unknown-run` | `seedlock_error_unknown_run` |
#' | `not-applied` | `seedlock_error_not_applied` |
#' | `io-error` | `seedlock_error_io_error` |
#' | `missing-environment` | `seedlock_error_missing_environment` |
#' | `path-outside-root` | `seedlock_error_path_outside_root` |
#' | `invalid-solver` | `seedlock_error_invalid_solver` |
#'
#' @param code An error code of SPEC.md section 7, e.g. `"unknown-stage"`.
#' @return `seedlock_error_class()`: the condition class for `code`.
#' @examples
#' seedlock_error_class("unknown-stage")
#' tryCatch(parse_seedlock('{"version": "1.0"}'),
#'          seedlock_error_missing_field = function(e) e$pointer)
#' @name seedlock_error
#' @export
seedlock_error_class <- function(code) {
  if (!is.character(code) || length(code) != 1L || !code %in% seedlock_codes) {
    stop("`code` must be one seedlock error code, e.g. \"unknown-stage\".", call. = FALSE)
  }
  paste0("seedlock_error_", gsub("-", "_", code, fixed = TRUE))
}

seedlock_abort <- function(code, problem, pointer = "", line = NULL, column = NULL) {
  if (!code %in% seedlock_codes) {
    stop("unknown seedlock error code ", code, call. = FALSE)
  }
  cond <- structure(
    class = c(seedlock_error_class(code), "seedlock_error", "error", "condition"),
    list(message = if (nzchar(pointer)) sprintf("%s at '%s'", problem, pointer) else problem, call = NULL,
         code = code, pointer = pointer, problem = problem, line = line, column = column)
  )
  stop(cond)
}

pointer_join <- function(base, ...) {
  parts <- c(...)
  for (part in parts) {
    part <- gsub("~", "~0", as.character(part), fixed = TRUE)
    base <- paste0(base, "/", gsub("/", "~1", part, fixed = TRUE))
  }
  base
}
