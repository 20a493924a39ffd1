# Replicates (SPEC.md section 12): the shared vectors, the environment `seedlock run --replicate` sets,
# and log_metric().

test_that("replicate seeds match every vector", {
  cases <- Filter(function(case) !is.null(case$input$manifest), vector_cases("replicate"))
  expect_gt(length(cases), 10L)
  for (case in cases) {
    lock <- resolve_seedlock(parse_seedlock(jsonlite::toJSON(case$input$manifest, auto_unbox = TRUE)),
                             env = character(0))
    vary <- as.character(unlist(case$input$vary))
    if (!is.null(case$error)) {
      expect_seedlock_error(replicate_seedlock(lock, case$input$stage, case$input$replicate, vary),
                            case$error$code, case$error$pointer, label = case$label)
    } else {
      got <- stage_seeds(replicate_seedlock(lock, case$input$stage, case$input$replicate, vary), case$input$stage)
      want <- unlist(case$expected$frameworks)
      expect_identical(as.numeric(got[names(want)]), as.numeric(want), label = case$label)
    }
  }
})

test_that("the task index and attempt match every vector", {
  cases <- Filter(function(case) !is.null(case$input$env), vector_cases("replicate"))
  expect_gt(length(cases), 5L)
  for (case in cases) {
    env <- unlist(case$input$env)
    if (length(env) == 0L) env <- character(0)
    if (!is.null(case$error)) {
      expect_seedlock_error(replicate_task_index(env), case$error$code, case$error$pointer, label = case$label)
    } else {
      got <- replicate_task_index(env)
      expect_identical(got$replicate, as.numeric(case$expected$replicate), label = case$label)
      expect_identical(got$attempt, as.numeric(case$expected$attempt), label = case$label)
    }
  }
})

rep_lock <- function() {
  lock <- resolve_seedlock(parse_seedlock(
    '{"version": "1.1", "seed": 42, "stages": {"train": {"frameworks": ["r", "numpy"]}}}'), env = character(0))
  path <- withr::local_tempfile(fileext = ".json", .local_envir = parent.frame())
  write_seedlock(lock, path)
  list(lock = lock, path = path)
}

test_that("seedlock_from_env seeds R with the replicate seedlock run --replicate set", {
  l <- rep_lock()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "train", SEEDLOCK_STATUS = NA,
                      SEEDLOCK_REPLICATE = "3", SEEDLOCK_VARY = "")
  withr::local_preserve_seed()
  stage <- seedlock_from_env()
  expect_identical(stage$seed, derive_seed(stage_seed(l$lock, "train", "r"), c("replicate", "3")))
  got <- runif(2)
  expect_identical(got, with_seedlock(replicate_seedlock(l$lock, "train", 3), "train", runif(2)))
  expect_false(identical(got, with_seedlock(l$lock, "train", runif(2))))
  withr::local_envvar(SEEDLOCK_VARY = "numpy")  # R held: only numpy varies
  expect_identical(seedlock_from_env()$seed, stage_seed(l$lock, "train", "r"))
  withr::local_envvar(SEEDLOCK_REPLICATE = "0", SEEDLOCK_VARY = "")
  expect_identical(seedlock_from_env()$seed, stage_seed(l$lock, "train", "r"))
  withr::local_envvar(SEEDLOCK_REPLICATE = "x")
  expect_seedlock_error(seedlock_from_env(), "invalid-env-value", "/replicate")
})

test_that("log_metric appends one JSON line per value to SEEDLOCK_METRICS", {
  path <- withr::local_tempfile(fileext = ".jsonl")
  withr::local_envvar(SEEDLOCK_METRICS = path)
  expect_true(log_metric("accuracy", 0.25, step = 3))
  expect_true(log_metric("loss \"x\"", 1L))
  lines <- readLines(path)
  expect_identical(lines[[1]], '{"name":"accuracy","value":0.25,"step":3}')
  expect_identical(jsonlite::fromJSON(lines[[2]]), list(name = "loss \"x\"", value = 1L, step = NULL))
  expect_seedlock_error(log_metric("x", NaN), "invalid-value", "/value")
  expect_seedlock_error(log_metric("", 1), "invalid-value", "/name")
  withr::local_envvar(SEEDLOCK_METRICS = NA)
  expect_warning(expect_false(log_metric("x", 1)), "not recorded")
})
