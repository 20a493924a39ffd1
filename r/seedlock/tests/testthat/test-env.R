env_lock <- function() {
  lock <- resolve_seedlock(parse_seedlock(
    '{"version": "1.0", "seed": 42, "stages": {"split": {"frameworks": ["r", "numpy"]}, "np": {"frameworks": ["numpy"]}}}'),
    env = character(0))
  path <- withr::local_tempfile(fileext = ".json", .local_envir = parent.frame())
  write_seedlock(lock, path)
  list(lock = lock, path = path)
}

test_that("seedlock_from_env outside seedlock run says how to run the script", {
  withr::local_envvar(SEEDLOCK_LOCK = NA, SEEDLOCK_STAGE = NA)
  expect_error(seedlock_from_env(), class = "seedlock_error_missing_environment",
               regexp = paste0("SEEDLOCK_LOCK and SEEDLOCK_STAGE are not set: run this script with ",
                               "`seedlock run LOCK --stage STAGE -- Rscript SCRIPT`"), fixed = TRUE)
  withr::local_envvar(SEEDLOCK_LOCK = "x.json")
  expect_error(seedlock_from_env(), class = "seedlock_error_missing_environment",
               regexp = "SEEDLOCK_STAGE is not set: run this script with", fixed = TRUE)
})

test_that("seedlock_from_env seeds R with the stage's r seed and returns the stage", {
  l <- env_lock()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = NA)
  withr::local_preserve_seed()
  stage <- seedlock_from_env()
  got <- runif(3)
  expect_identical(got, with_seedlock(l$lock, "split", runif(3)))
  expect_identical(stage$name, "split")
  expect_identical(stage$seed, stage_seed(l$lock, "split", "r"))
  expect_identical(stage$seeds, stage_seeds(l$lock, "split"))
  expect_output(print(stage), "<seedlock stage> split: r=")
})

test_that("seedlock_from_env with a rank uses the rank seed", {
  l <- env_lock()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = NA)
  withr::local_preserve_seed()
  stage <- seedlock_from_env(rank = 3)
  expect_identical(stage$seed, rank_seed(stage_seed(l$lock, "split", "r"), 3))
})

test_that("local_seedlock_from_env restores the RNG state when the caller exits", {
  l <- env_lock()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = NA)
  withr::local_preserve_seed()
  set.seed(1)
  before <- .Random.seed
  f <- function() {
    local_seedlock_from_env()
    runif(2)
  }
  expect_identical(f(), with_seedlock(l$lock, "split", runif(2)))
  expect_identical(.Random.seed, before)
})

test_that("seedlock_from_env fails on a stage without an r seed and on an unknown stage", {
  l <- env_lock()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "np")
  expect_error(seedlock_from_env(), class = "seedlock_error_framework_not_in_stage")
  withr::local_envvar(SEEDLOCK_STAGE = "nope")
  expect_error(seedlock_from_env(), class = "seedlock_error_unknown_stage")
})

test_that("under seedlock run, seeding R is reported to the launcher's status directory", {
  l <- env_lock()
  dir <- withr::local_tempdir()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = dir)
  withr::local_preserve_seed()
  seedlock_from_env()
  set_seedlock(l$lock, "split")
  lines <- readLines(file.path(dir, sprintf("r-%d.jsonl", Sys.getpid())))
  rows <- lapply(lines, jsonlite::fromJSON)
  expect_identical(vapply(rows, `[[`, "", "via"), c("seedlock_from_env", "set_seedlock"))
  expect_identical(rows[[1]]$status, "applied")
  expect_identical(rows[[1]]$what, sprintf(
    "set.seed(%d, kind='Mersenne-Twister', normal.kind='Inversion', sample.kind='Rejection')",
    stage_seed(l$lock, "split", "r")))
})
