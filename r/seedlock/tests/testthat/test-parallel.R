lock_with_r_seed <- function(seed, settings = NULL) {
  doc <- list(version = "1.0", seed = 1, stages = list(fit = list(frameworks = list("r"), seeds = list(r = seed))))
  if (!is.null(settings)) doc$stages$fit$settings <- list(r = settings)
  resolve_seedlock(parse_seedlock(jsonlite::toJSON(doc, auto_unbox = TRUE)), env = character(0))
}

for (case in vector_cases("parallel")) {
  test_that(paste("vector", case$label), {
    inp <- case$input
    lock <- lock_with_r_seed(inp$seed, inp$settings)
    expect_identical(parallel_seed(lock, "fit", rank = inp$rank, epoch = inp$epoch), as.integer(case$expected$seed))
    first <- lecuyer_seed(lock, "fit", rank = inp$rank, epoch = inp$epoch)
    expect_identical(first, as.integer(unlist(case$expected$streams[[1]])))
    streams <- Reduce(function(s, i) parallel::nextRNGStream(s), seq_len(inp$workers - 1L), first, accumulate = TRUE)
    expect_identical(lapply(streams, as.integer), lapply(case$expected$streams, function(s) as.integer(unlist(s))))
    local_rng_kept()
    u <- lapply(streams, function(s) {
      assign(".Random.seed", s, envir = globalenv())
      sprintf("%.17g", runif(3))
    })
    expect_identical(u, lapply(case$expected$uniform, unlist))
  })
}

test_that("a 2-worker cluster gets the vectors' streams, different per worker, and repeats", {
  skip_on_cran()
  case <- Filter(function(c) c$description == "two workers of r seed 42", vector_cases("parallel"))[[1]]
  lock <- lock_with_r_seed(42)
  draw <- function() {
    cl <- parallel::makeCluster(2)
    on.exit(parallel::stopCluster(cl))
    cluster_set_seedlock(cl, lock, "fit")
    seeds <- parallel::clusterEvalQ(cl, .Random.seed)
    list(seeds = seeds, draws = parallel::clusterEvalQ(cl, runif(3)))
  }
  local_rng_kept()
  set.seed(99)
  before <- list(RNGkind(), .Random.seed)
  first <- draw()
  expect_identical(list(RNGkind(), .Random.seed), before)  # the parent's RNG is untouched
  expect_identical(first$seeds, lapply(case$expected$streams, function(s) as.integer(unlist(s))))
  expect_false(identical(first$draws[[1]], first$draws[[2]]))
  expect_identical(draw()$draws, first$draws)
})

test_that("cluster workers keep the lock's normal and sample kinds, not the parent's", {
  skip_on_cran()
  lock <- lock_with_r_seed(42, list(normal_kind = "Box-Muller", sample_kind = "Rounding"))
  local_rng_kept()
  suppressWarnings(RNGkind("Mersenne-Twister", "Inversion", "Rejection"))
  cl <- parallel::makeCluster(1)
  on.exit(parallel::stopCluster(cl))
  cluster_set_seedlock(cl, lock, "fit")
  expect_identical(parallel::clusterEvalQ(cl, RNGkind())[[1]], c("L'Ecuyer-CMRG", "Box-Muller", "Rounding"))
  expect_identical(RNGkind(), c("Mersenne-Twister", "Inversion", "Rejection"))
})

test_that("mclapply with mc.set.seed repeats, differs per child, and leaves the parent as it was", {
  skip_on_os("windows")
  lock <- lock_with_r_seed(42)
  job <- function() {
    with_parallel_seedlock(lock, "fit", parallel::mclapply(1:4, function(i) runif(2), mc.cores = 2, mc.set.seed = TRUE))
  }
  local_rng_kept()
  set.seed(7, kind = "Mersenne-Twister")
  before <- .Random.seed
  first <- job()
  expect_identical(.Random.seed, before)
  expect_identical(RNGkind()[[1]], "Mersenne-Twister")
  expect_identical(job(), first)
  # Elements 1 and 3 ran in the first child, 2 and 4 in the second (prescheduled): two streams.
  expect_false(identical(first[[1]], first[[2]]))
  expect_false(identical(first[[1]], first[[3]]))
  # No child stream is the parent's own stream under set_seedlock().
  parent <- with_seedlock(lock, "fit", runif(2))
  expect_false(any(vapply(first, identical, logical(1), parent)))
})

test_that("future.apply with future.seed = lecuyer_seed() repeats, differs per element, and ignores the worker count", {
  skip_if_not_installed("future.apply")
  lock <- lock_with_r_seed(42)
  run <- function(plan) {
    old <- future::plan(plan)
    on.exit(future::plan(old))
    future.apply::future_lapply(1:4, function(i) runif(2), future.seed = lecuyer_seed(lock, "fit"))
  }
  sequential <- run(future::sequential)
  expect_length(unique(sequential), 4L)
  expect_identical(run(future::sequential), sequential)
  skip_on_os("windows")
  expect_identical(run(future::tweak(future::multicore, workers = 2)), sequential)
})

test_that("rank and epoch give other parallel streams", {
  lock <- lock_with_r_seed(42)
  seeds <- c(parallel_seed(lock, "fit"), parallel_seed(lock, "fit", rank = 1), parallel_seed(lock, "fit", epoch = 1),
             parallel_seed(lock, "fit", rank = 1, epoch = 1))
  expect_length(unique(seeds), 4L)
  expect_identical(seeds[[4]], derive_seed(epoch_seed(rank_seed(42, 1), 1), "parallel"))
})

test_that("with_parallel_seedlock and lecuyer_seed restore the parent's kind and the absence of a seed", {
  lock <- lock_with_r_seed(42)
  local_rng_kept()
  suppressWarnings(RNGkind("Wichmann-Hill", "Box-Muller", "Rounding"))
  if (exists(".Random.seed", globalenv())) rm(".Random.seed", envir = globalenv())
  with_parallel_seedlock(lock, "fit", runif(1))
  lecuyer_seed(lock, "fit")
  expect_false(exists(".Random.seed", globalenv(), inherits = FALSE))
  expect_identical(RNGkind(), c("Wichmann-Hill", "Box-Muller", "Rounding"))
})

test_that("a stage without the r framework is an error naming it", {
  lock <- simple_lock(frameworks = list("numpy"))
  expect_seedlock_error(parallel_seed(lock, "train"), "framework-not-in-stage", "/stages/train/frameworks")
})
