# Errors carry a spec error code (SPEC.md section 7) and the JSON pointer of the offending member.
# Each code has its own condition class, e.g. `seedlock_error_seed_out_of_range`, so callers can
# catch one fault with tryCatch() and read `code`/`pointer` from the condition. The codes are those of
# spec/registry.json (a test fails when they differ).

seedlock_codes <- c(
  "invalid-json", "duplicate-key", "invalid-type", "invalid-value", "missing-field",
  "unknown-field", "unsupported-version", "unknown-derivation", "seed-out-of-range",
  "invalid-seed", "invalid-label", "unknown-framework", "duplicate-framework",
  "unlisted-framework", "env-name-collision", "invalid-env-value", "lock-mismatch",
  "unknown-stage", "framework-not-in-stage", "not-a-lock", "not-a-manifest", "unknown-run",
  "not-applied", "io-error", "path-outside-root", "invalid-solver"
)

seedlock_abort <- function(code, problem, pointer = "") {
  if (!code %in% seedlock_codes) {
    stop("unknown seedlock error code ", code, call. = FALSE)
  }
  cond <- structure(
    class = c(paste0("seedlock_error_", gsub("-", "_", code, fixed = TRUE)), "seedlock_error", "error", "condition"),
    list(message = sprintf("%s at '%s'", problem, pointer), call = NULL,
         code = code, pointer = pointer, problem = problem)
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
