test_that("every derive vector gives the expected seed or error", {
  for (case in vector_cases("derive")) {
    seed <- as_seed_input(case$input$seed)
    labels <- as.character(unlist(case$input$labels))
    if (!is.null(case$error)) {
      expect_seedlock_error(derive_seed(seed, labels), case$error$code, case$error$pointer, label = case$label)
    } else {
      expect_identical(derive_seed(seed, labels), as.integer(case$expected$seed), label = case$label)
    }
  }
})

test_that("every worker and rank vector gives the expected seed or error", {
  for (case in vector_cases("workers")) {
    inp <- case$input
    compute <- function() {
      if (!is.null(inp$test_id)) return(test_seed(inp$seed, inp$test_id, if (is.null(inp$phase)) "call" else inp$phase))
      if (!is.null(inp$worker)) return(worker_seed(inp$seed, inp$worker, if (is.null(inp$rank)) 0 else inp$rank))
      if (!is.null(inp$rank)) return(rank_seed(inp$seed, inp$rank))
      as.integer(inp$seed)
    }
    if (!is.null(case$error)) {
      expect_seedlock_error(compute(), case$error$code, label = case$label)
    } else {
      expect_identical(compute(), as.integer(case$expected$seed), label = case$label)
    }
  }
})

test_that("derive_seed is vectorised over label paths", {
  paths <- list("train", "test", c("train", "numpy"))
  expect_identical(derive_seed(42, paths), vapply(paths, function(p) derive_seed(42, p), integer(1)))
  expect_identical(derive_seed(42, list()), integer(0))
})

test_that("the largest seed derives without overflowing R's integers", {
  seeds <- derive_seed(2147483647, as.list(sprintf("l%d", 1:2000)))
  expect_true(all(seeds >= 0L & !is.na(seeds)))
  expect_gt(length(unique(seeds)), 1990)
})

test_that("a logical seed is rejected with invalid-type", {
  expect_seedlock_error(derive_seed(TRUE, "train"), "invalid-type", "")
})
