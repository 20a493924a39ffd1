# The training label paths of SPEC.md section 4.3 (epochs and named streams) from the shared vectors.
# Data-loader worker seeds (vectors/training/loader-workers.json) are PyTorch's concern and have no
# R counterpart; their 64-bit loader seeds do not survive R's doubles either.
training_seed <- function(inp) {
  rules <- if (is.null(inp$rules)) 2L else inp$rules
  base <- if (is.null(inp$rank)) inp$seed else rank_seed(inp$seed, inp$rank)
  if (!is.null(inp$epoch)) base <- derive_seed(base, c("epoch", seedlock:::index_label(inp$epoch, "epoch")))
  if (!"stream" %in% names(inp)) return(as.integer(base))
  if (is.null(inp$stream)) {
    return(if (rules == 1L) as.integer(base) else derive_seed(base, c("stream", "default")))
  }
  derive_seed(base, c("stream", inp$stream))
}

test_that("every epoch and stream vector gives the expected seed or error", {
  cases <- Filter(function(case) !grepl("^(loader-workers|unseeded-generators)", case$label), vector_cases("training"))
  expect_gt(length(cases), 15L)
  for (case in cases) {
    if (!is.null(case$error)) {
      expect_seedlock_error(training_seed(case$input), case$error$code, label = case$label)
    } else {
      expect_identical(training_seed(case$input), as.integer(case$expected$seed), label = case$label)
    }
  }
})

# SPEC.md section 6.3: the n-th generator a program makes without a seed gets derive(B, unseeded, n).
# R has no seedless generator constructors (its one generator is seeded by set.seed), but the
# derivation is the lock's and every binding checks it.
test_that("every unseeded-generator vector gives the expected seed or error", {
  cases <- Filter(function(case) grepl("^unseeded-generators", case$label), vector_cases("training"))
  expect_gt(length(cases), 5L)
  for (case in cases) {
    inp <- case$input
    base <- if (!is.null(inp$test_id)) test_seed(inp$seed, inp$test_id) else
      if (!is.null(inp$rank)) rank_seed(inp$seed, inp$rank) else inp$seed
    unseeded <- function() derive_seed(base, c("unseeded", seedlock:::index_label(inp$unseeded, "unseeded")))
    if (!is.null(case$error)) {
      expect_seedlock_error(unseeded(), case$error$code, label = case$label)
    } else {
      expect_identical(unseeded(), as.integer(case$expected$seed), label = case$label)
    }
  }
})
