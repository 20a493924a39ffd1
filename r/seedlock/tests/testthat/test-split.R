test_that("every stream vector equals r_uniform bit for bit", {
  for (case in vector_cases("stream")) {
    got <- r_uniform(case$input$seed, case$input$n)
    expect_identical(sprintf("%.17g", got), as.character(unlist(case$expected$uniform)), label = case$label)
    expect_identical(got * 2^32, as.numeric(unlist(case$expected$words)), label = case$label)
  }
})

test_that("every split vector gives the same rows, 1-based", {
  for (case in vector_cases("split")) {
    inp <- case$input
    run <- function() portable_split(inp$n, inp$parts, as_seed_input(inp$seed))
    if (!is.null(case$error)) {
      expect_seedlock_error(run(), case$error$code, case$error$pointer, label = case$label)
    } else {
      got <- run()
      expected <- lapply(case$expected$parts, function(idx) as.integer(unlist(idx)) + 1L)
      expect_identical(lapply(got, as.integer), expected, label = case$label)
    }
  }
})

test_that("r_uniform leaves the caller's RNG state alone", {
  set.seed(10)
  before <- .Random.seed
  r_uniform(42, 5)
  expect_identical(.Random.seed, before)
})

test_that("the parts of a split partition the rows", {
  got <- portable_split(100003, c(train = 0.7, val = 0.2, test = 0.1), 5)
  expect_identical(sort(unlist(got, use.names = FALSE)), seq_len(100003))
  expect_identical(lengths(got, use.names = FALSE), c(70002L, 20001L, 10000L))
})

test_that("parts must be named fractions", {
  expect_error(portable_split(10, c(0.5, 0.5), 1), "`parts` must be")
})
