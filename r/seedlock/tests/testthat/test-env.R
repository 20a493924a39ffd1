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

# A script's own set.seed() after seedlock_from_env(), as the script calls it: from the global environment.
script_set_seed <- function(value) eval(call("set.seed", value), globalenv())

findings <- function(dir) {
  files <- list.files(dir, full.names = TRUE)
  rows <- lapply(unlist(lapply(files, readLines)), jsonlite::fromJSON)
  Filter(function(r) identical(r$event, "finding"), rows)
}

test_that("a script's set.seed after seedlock_from_env is reported as overriding the lock (SPEC 6.4)", {
  l <- env_lock()
  dir <- withr::local_tempdir()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = dir,
                      SEEDLOCK_STRICT = NA, SEEDLOCK_TAKEOVER = NA)
  withr::local_preserve_seed()
  withr::defer(while ("seedlock:set.seed" %in% search()) detach("seedlock:set.seed"))
  seedlock_from_env()
  script_set_seed(42)
  expect_identical(runif(2), {set.seed(42); runif(2)})  # not taken over: the program's seed stands
  got <- findings(dir)
  expect_length(got, 1L)
  expect_identical(got[[1]]$kind, "reseeded")
  expect_identical(got[[1]]$framework, "r")
  expect_match(got[[1]]$detail, "set.seed(42) seeded r after seedlock: the lock's r seed has no effect", fixed = TRUE)
  script_set_seed(42)  # the same call again: reported once
  expect_length(findings(dir), 1L)
})

test_that("under take-over a script's set.seed after seedlock_from_env seeds the take-over seed", {
  l <- env_lock()
  dir <- withr::local_tempdir()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = dir,
                      SEEDLOCK_STRICT = NA, SEEDLOCK_TAKEOVER = "1")
  withr::local_preserve_seed()
  withr::defer(while ("seedlock:set.seed" %in% search()) detach("seedlock:set.seed"))
  stage <- seedlock_from_env()
  script_set_seed(42)
  expect_identical(runif(2), {set.seed(takeover_seed(stage$seed, 42)); runif(2)})
  got <- findings(dir)
  expect_identical(vapply(got, function(r) r$kind, ""), "taken-over")
})

test_that("a lock whose stage says take_over makes seedlock_from_env take over set.seed", {
  lock <- resolve_seedlock(parse_seedlock(
    '{"version": "1.2", "seed": 42, "stages": {"split": {"frameworks": ["r"], "take_over": true}}}'), env = character(0))
  path <- withr::local_tempfile(fileext = ".json")
  write_seedlock(lock, path)
  withr::local_envvar(SEEDLOCK_LOCK = path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = NA,
                      SEEDLOCK_STRICT = NA, SEEDLOCK_TAKEOVER = NA)
  withr::local_preserve_seed()
  withr::defer(while ("seedlock:set.seed" %in% search()) detach("seedlock:set.seed"))
  stage <- seedlock_from_env()
  script_set_seed(7)
  expect_identical(runif(2), {set.seed(takeover_seed(stage$seed, 7)); runif(2)})
})

test_that("in strict mode a script's set.seed after seedlock_from_env is an error before it seeds", {
  l <- env_lock()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = NA,
                      SEEDLOCK_STRICT = "1", SEEDLOCK_TAKEOVER = NA)
  withr::local_preserve_seed()
  withr::defer(while ("seedlock:set.seed" %in% search()) detach("seedlock:set.seed"))
  seedlock_from_env()
  expected <- runif(2)
  seedlock_from_env()
  expect_error(script_set_seed(42), "error[not-applied]", fixed = TRUE)
  expect_identical(runif(2), expected)  # the lock's seed still holds
})

test_that("the lock's own seed set again is not a finding, and calls inside packages are left alone", {
  l <- env_lock()
  dir <- withr::local_tempdir()
  withr::local_envvar(SEEDLOCK_LOCK = l$path, SEEDLOCK_STAGE = "split", SEEDLOCK_STATUS = dir,
                      SEEDLOCK_STRICT = "1", SEEDLOCK_TAKEOVER = NA)
  withr::local_preserve_seed()
  withr::defer(while ("seedlock:set.seed" %in% search()) detach("seedlock:set.seed"))
  stage <- seedlock_from_env()
  script_set_seed(stage$seed)
  base::set.seed(5)  # a package's call, through its namespace
  expect_length(findings(dir), 0L)
})
