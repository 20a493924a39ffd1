test_that("the epoch seed is derive(F, epoch, e), values shared with the Python binding", {
  # Computed with `seedlock derive F epoch e` (Python): the rule of SPEC.md, not this package.
  expect_identical(epoch_seed(1677747947, 0), 786496981L)
  expect_identical(epoch_seed(1677747947, 3), 772672939L)
  expect_identical(epoch_seed(42, 12), 1044316533L)
  expect_identical(epoch_seed(42, 5), derive_seed(42, c("epoch", "5")))
})

test_that("seed_epoch seeds R with the epoch seed of the stage's r seed and the pinned kinds", {
  lock <- simple_lock(settings = list(r = list(sample_kind = "Rounding")))
  local_rng_kept()
  seed_epoch(lock, "train", 3)
  got <- sample(10)
  suppressWarnings(set.seed(epoch_seed(stage_seed(lock, "train"), 3), kind = "Mersenne-Twister",
                            normal.kind = "Inversion", sample.kind = "Rounding"))
  expect_identical(got, sample(10))
})

test_that("every epoch draws differently and epoch e repeats without the epochs before it", {
  lock <- simple_lock()
  local_rng_kept()
  run <- lapply(0:3, function(e) with_seedlock(lock, "train", runif(4), epoch = e))
  expect_length(unique(run), 4L)
  # Resuming at epoch 2: nothing of epochs 0 and 1 ran, the draws are the same.
  expect_identical(with_seedlock(lock, "train", runif(4), epoch = 2), run[[3]])
  expect_false(identical(with_seedlock(lock, "train", runif(4)), run[[1]]))
})

test_that("with a rank the rank seed comes first, then the epoch", {
  lock <- simple_lock()
  used <- with_seedlock(lock, "train", seed_epoch(lock, "train", 2, rank = 1))
  expect_identical(used, derive_seed(derive_seed(stage_seed(lock, "train"), c("rank", "1")), c("epoch", "2")))
  expect_identical(with_seedlock(lock, "train", seed_epoch(lock, "train", 2, rank = 0)),
                   epoch_seed(rank_seed(stage_seed(lock, "train"), 0), 2))
})

test_that("an epoch that is not a non-negative whole number is invalid-value", {
  expect_seedlock_error(epoch_seed(42, -1), "invalid-value")
  expect_seedlock_error(epoch_seed(42, 1.5), "invalid-value")
  expect_seedlock_error(seed_epoch(simple_lock(), "train", "1"), "invalid-value")
})
