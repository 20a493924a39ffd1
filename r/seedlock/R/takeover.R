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

# The program's own set.seed() after seedlock_from_env() (SPEC.md section 6.4), as the launcher's R
# profile watches it after auto-seeding: reported once per call site to the launcher's status directory
# (`reseeded`; `taken-over` in take-over mode), an error before it seeds in strict mode, and in take-over
# mode replaced by takeover_seed(seed, value). The wrapper sits in an environment attached to the search
# path, so a script's set.seed(...) finds it and rm(list = ls()) does not remove it, while packages, which
# call base::set.seed through their namespaces, are left alone. A second call replaces the first watch
# (the profile's too): one wrapper, with the seed applied last.
watch_set_seed <- function(stage, seed, strict, takeover) {
  file <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))
  file <- if (length(file)) basename(file[[1L]]) else "R"
  seen <- new.env()
  watch <- new.env()
  watch$set.seed <- function(seed, kind = NULL, normal.kind = NULL, sample.kind = NULL) {
    value <- seed
    if (is.numeric(value) && length(value) == 1L && !is.na(value) && value == lock_seed) {
      # set.seed(stage$seed): the lock's own seed, applied again; nothing overridden.
      return(base::set.seed(value, kind = kind, normal.kind = normal.kind, sample.kind = sample.kind))
    }
    shown <- paste(deparse(sys.call()), collapse = " ")
    ref <- attr(sys.call(), "srcref")
    where <- if (is.null(ref)) file else paste0(basename(utils::getSrcFilename(ref)), ":", ref[[1L]])
    new <- if (takeover) takeover_seed(lock_seed, value) else NA_integer_
    kind_of <- if (is.na(new)) "reseeded" else "taken-over"
    detail <- if (!is.na(new)) {
      sprintf("%s seeded r: taken over, seeded %d instead (derived from the lock's r seed and the value)", shown, new)
    } else if (takeover) {
      sprintf("%s seeded r: not taken over (the value is not a whole number): the lock's r seed has no effect", shown)
    } else {
      sprintf("%s seeded r after seedlock: the lock's r seed has no effect", shown)
    }
    key <- paste(kind_of, where, shown)
    if (is.null(seen[[key]])) {
      assign(key, TRUE, envir = seen)
      report_finding(stage, kind_of, where, detail)
    }
    if (strict && is.na(new)) {
      stop(sprintf(paste0("seedlock: error[not-applied] %s %s (run with --take-over to seed such calls from the lock) ",
                          "at '/stages/%s/frameworks/r'"), where, detail, stage), call. = FALSE)
    }
    base::set.seed(if (is.na(new)) value else new, kind = kind, normal.kind = normal.kind, sample.kind = sample.kind)
  }
  lock_seed <- seed
  environment(watch$set.seed) <- environment()  # lock_seed, file, seen, stage, strict, takeover
  while ("seedlock:set.seed" %in% search()) detach("seedlock:set.seed", character.only = TRUE)
  attach(watch, name = "seedlock:set.seed", warn.conflicts = FALSE)  # found before base's by the script's calls
  invisible(NULL)
}

# A finding for the launcher (python/seedlock/seeding/_seedstatus.py record_finding), under `seedlock run`.
report_finding <- function(stage, kind, where, detail) {
  dir <- Sys.getenv("SEEDLOCK_STATUS")
  if (!nzchar(dir)) return(invisible(FALSE))
  line <- sprintf('{"event":"finding","via":"seedlock_from_env","stage":%s,"kind":"%s","framework":"r","where":%s,"detail":%s}',
                  json_string(stage), kind, json_string(where), json_string(detail))
  ok <- tryCatch({
    cat(line, "\n", file = file.path(dir, sprintf("r-%d.jsonl", Sys.getpid())), append = TRUE, sep = "")
    TRUE
  }, error = function(e) FALSE, warning = function(w) FALSE)
  invisible(ok)
}
