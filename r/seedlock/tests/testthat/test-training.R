# The epoch seeds of SPEC.md section 4.3 from the shared vectors, through the package's own functions:
# seed_epoch() (and set_seedlock(epoch =)) seed R from a lock, rank first and then epoch; epoch_seed()
# is the seed of one process. The test computes nothing itself: the expected seeds are the vectors'.
#
# Not R's concern, so not read here: named streams (vectors/training/streams.json) and seedless
# generators (unseeded-generators.json) have no R API, since R has one generator, seeded by set.seed;
# data-loader worker seeds (loader-workers.json) are PyTorch's, and their 64-bit loader seeds do not
# survive R's doubles.

# A lock whose train stage pins the vector's framework seed as its r seed.
lock_with_r_seed <- function(seed) {
  text <- sprintf('{"version": "1.0", "seed": 1, "stages": {"train": {"frameworks": ["r"], "seeds": {"r": %.0f}}}}',
                  seed)
  resolve_seedlock(parse_seedlock(text), env = character(0))
}

epoch_cases <- function() {
  cases <- Filter(function(case) startsWith(case$label, "epochs.json: "), vector_cases("training"))
  expect_gt(length(cases), 5L)
  cases
}

test_that("seed_epoch seeds R with every epoch vector's seed, rank first and then epoch", {
  local_rng_kept()
  for (case in epoch_cases()) {
    inp <- case$input
    lock <- lock_with_r_seed(inp$seed)
    if (!is.null(case$error)) {
      expect_seedlock_error(seed_epoch(lock, "train", inp$epoch, rank = inp$rank), case$error$code, label = case$label)
      next
    }
    expected <- as.integer(case$expected$seed)
    expect_identical(seed_epoch(lock, "train", inp$epoch, rank = inp$rank), expected, label = case$label)
    drawn <- runif(3)
    set.seed(expected, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
    expect_identical(drawn, runif(3), label = case$label)
    expect_identical(with_seedlock(lock, "train", runif(3), rank = inp$rank, epoch = inp$epoch), drawn,
                     label = case$label)
  }
})

test_that("epoch_seed gives every single-process epoch vector's seed or error", {
  cases <- Filter(function(case) is.null(case$input$rank), epoch_cases())
  expect_gt(length(cases), 3L)
  for (case in cases) {
    if (!is.null(case$error)) {
      expect_seedlock_error(epoch_seed(case$input$seed, case$input$epoch), case$error$code, label = case$label)
    } else {
      expect_identical(epoch_seed(case$input$seed, case$input$epoch), as.integer(case$expected$seed),
                       label = case$label)
    }
  }
})
