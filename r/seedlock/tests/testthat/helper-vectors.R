# The spec vectors, read from the copy installed with the package (or SEEDLOCK_SPEC_DIR).
vector_cases <- function(area) {
  dir <- file.path(seedlock_spec_dir(), "vectors", area)
  files <- sort(list.files(dir, pattern = "\\.json$", full.names = TRUE))
  if (length(files) == 0L) stop("no vectors for area ", area, " in ", dir)
  cases <- list()
  for (f in files) {
    doc <- jsonlite::read_json(f, simplifyVector = FALSE)
    for (case in doc$cases) {
      case$label <- paste0(basename(f), ": ", case$description)
      cases[[length(cases) + 1L]] <- case
    }
  }
  cases
}

# The condition a call signals, or NULL when it succeeds.
seedlock_condition <- function(expr) {
  tryCatch({
    force(expr)
    NULL
  }, seedlock_error = function(e) e)
}

expect_seedlock_error <- function(expr, code, pointer = NULL, label = "") {
  err <- seedlock_condition(expr)
  expect_s3_class(err, "seedlock_error")
  if (is.null(err)) return(invisible(NULL))
  expect_identical(err$code, code, label = label)
  expect_s3_class(err, paste0("seedlock_error_", gsub("-", "_", code)))
  if (!is.null(pointer)) expect_identical(err$pointer, pointer, label = label)
  invisible(err)
}

as_seed_input <- function(x) if (is.character(x)) as.numeric(x) else x

simple_lock <- function(frameworks = list("r"), seed = 42, stage = "train", settings = NULL) {
  doc <- list(version = "1.0", seed = seed, stages = structure(list(list(frameworks = frameworks)), names = stage))
  if (!is.null(settings)) doc$stages[[stage]]$settings <- settings
  resolve_seedlock(parse_seedlock(jsonlite::toJSON(doc, auto_unbox = TRUE)), env = character(0))
}

# Restores the RNG kinds as well as .Random.seed (local_preserve_seed() leaves the kind behind when
# there was no seed before). RNGkind() reseeds, so it runs first and the saved seed is put back after it.
local_rng_kept <- function(envir = parent.frame()) {
  kinds <- RNGkind()
  withr::local_preserve_seed(.local_envir = envir)
  withr::defer(suppressWarnings(RNGkind(kinds[[1]], kinds[[2]], kinds[[3]])), envir = envir, priority = "first")
}
