test_that("set_seedlock seeds R with the stage's r seed and the default kinds", {
  lock <- simple_lock()
  withr::local_preserve_seed()
  set_seedlock(lock, "train")
  got <- runif(3)
  set.seed(stage_seed(lock, "train"), kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  expect_identical(got, runif(3))
  expect_identical(RNGkind(), c("Mersenne-Twister", "Inversion", "Rejection"))
})

test_that("seed 42 reproduces R's documented stream", {
  lock <- resolve_seedlock(parse_seedlock(
    '{"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["r"], "seeds": {"r": 42}}}}'), env = character(0))
  vals <- with_seedlock(lock, "s", list(u = runif(3), s = sample(10)))
  expect_identical(sprintf("%.17g", vals$u), c("0.91480604349635541", "0.93707541329786181", "0.28613953478634357"))
  expect_identical(vals$s, c(9L, 4L, 2L, 8L, 1L, 10L, 6L, 5L, 7L, 3L))
})

test_that("the pinned kind triple is applied and recorded", {
  lock <- simple_lock(settings = list(r = list(kind = "L'Ecuyer-CMRG", sample_kind = "Rounding")))
  expect_identical(lock$stages$train$frameworks$r$settings,
                   list(kind = "L'Ecuyer-CMRG", normal_kind = "Inversion", sample_kind = "Rounding"))
  kinds <- with_seedlock(lock, "train", RNGkind())
  expect_identical(kinds, c("L'Ecuyer-CMRG", "Inversion", "Rounding"))
})

test_that("with_seedlock restores the previous kind and .Random.seed", {
  suppressWarnings(RNGkind("Wichmann-Hill", "Box-Muller", "Rounding"))
  on.exit(RNGkind("default", "default", "default"), add = TRUE)
  set.seed(1)
  before <- .Random.seed
  with_seedlock(simple_lock(), "train", runif(5))
  expect_identical(RNGkind(), c("Wichmann-Hill", "Box-Muller", "Rounding"))
  expect_identical(.Random.seed, before)
})

test_that("with_seedlock restores the absence of a seed", {
  if (exists(".Random.seed", globalenv())) {
    saved <- get(".Random.seed", globalenv())
    on.exit(assign(".Random.seed", saved, globalenv()), add = TRUE)
    rm(".Random.seed", envir = globalenv())
  }
  with_seedlock(simple_lock(), "train", runif(1))
  expect_false(exists(".Random.seed", globalenv(), inherits = FALSE))
})

test_that("local_seedlock lasts until the calling function exits", {
  lock <- simple_lock()
  set.seed(3)
  before <- .Random.seed
  f <- function() {
    local_seedlock(lock, "train")
    runif(2)
  }
  expect_identical(f(), with_seedlock(lock, "train", runif(2)))
  expect_identical(.Random.seed, before)
})

test_that("rank seeds follow the rank derivation", {
  lock <- simple_lock()
  used <- with_seedlock(lock, "train", set_seedlock(lock, "train", rank = 2))
  expect_identical(used, rank_seed(stage_seed(lock, "train"), 2))
})

test_that("a lock path works wherever a lock does", {
  path <- file.path(seedlock_spec_dir(), "examples", "pipeline.json")
  seeds <- withr::with_envvar(c(SEEDLOCK_SEED = "5"), stage_seeds(path, "preprocess"))
  expect_identical(names(seeds), c("numpy", "r"))
  expect_identical(seeds[["r"]], derive_seed(derive_seed(5, "preprocess"), "r"))
})
