# Probes (spec section 12): the record format shared with Python, and nothing outside the locator.

read_probes <- function(dir) {
  files <- list.files(dir, full.names = TRUE)
  lines <- unlist(lapply(files, readLines))
  lapply(lines, jsonlite::fromJSON, simplifyVector = FALSE)
}

test_that("probe records follow the vectors", {
  for (case in vector_cases("locate")) {
    dir <- withr::local_tempdir()
    withr::local_envvar(SEEDLOCK_LOCATE = dir)
    rm(list = ls(.probe_state), envir = .probe_state)
    input <- case$input
    values <- vapply(input$values, function(v) as.numeric(v), 0)
    shape <- unlist(input$shape)
    x <- if (length(shape) == 1L) values else aperm(array(values, rev(shape)), rev(seq_along(shape)))
    for (i in seq_len(input$calls)) probe(input$name, x)
    record <- read_probes(dir)[[input$calls]]
    # JSON does not keep 1 and 1.0 apart: numbers compare as doubles, bit for bit.
    as_doubles <- function(v) lapply(v, function(e) if (is.numeric(e)) as.numeric(e) else e)
    for (member in names(case$expected)) {
      expect_identical(as_doubles(record[[member]]), as_doubles(case$expected[[member]]),
                       label = paste(case$label, member))
    }
  }
})

test_that("a probe outside the locator writes nothing", {
  withr::local_envvar(SEEDLOCK_LOCATE = "")
  rm(list = ls(.probe_state), envir = .probe_state)
  expect_null(probe("x", 1:3))
  expect_null(.probe_state$file)
})

test_that("a probe name must be one string", {
  withr::local_envvar(SEEDLOCK_LOCATE = withr::local_tempdir())
  expect_error(probe(c("a", "b"), 1), "`name` must be one string")
})
