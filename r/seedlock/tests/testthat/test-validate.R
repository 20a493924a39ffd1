test_that("every invalid vector is rejected with its code and pointer", {
  for (case in vector_cases("invalid")) {
    inp <- case$input
    text <- if (!is.null(inp$text)) inp$text else jsonlite::toJSON(inp$document, auto_unbox = TRUE, digits = NA, null = "null")
    expect_seedlock_error(parse_seedlock(text), case$error$code, case$error$pointer, label = case$label)
  }
})

test_that("errors read as problem at pointer and carry their code", {
  err <- seedlock_condition(parse_seedlock('{"version": "1.0", "seed": -7, "stages": {"t": {"frameworks": ["r"]}}}'))
  expect_identical(conditionMessage(err), "Seed -7 is outside [0, 2147483647] at '/seed'")
  expect_s3_class(err, "seedlock_error_seed_out_of_range")
  err <- seedlock_condition(parse_seedlock('{"version": "1.0", "seed": 1, "seed": 2, "stages": {}}'))
  expect_identical(conditionMessage(err), "Duplicate key 'seed' at '/seed'")
})

test_that("an integral float is accepted as the integer", {
  m <- parse_seedlock('{"version": "1.0", "seed": 42.0, "stages": {"t": {"frameworks": ["r"], "seed": 4.2e1}}}')
  expect_identical(m$seed, 42L)
  expect_identical(m$stages$t$seed, 42L)
})

test_that("a UTF-8 byte order mark is ignored and invalid UTF-8 is rejected", {
  bom <- c(as.raw(c(0xef, 0xbb, 0xbf)), charToRaw('{"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["r"]}}}'))
  expect_s3_class(parse_seedlock(bom), "seedlock_manifest")
  bad <- c(charToRaw('{"version": "1.0", "description": "'), as.raw(0xff), charToRaw('"}'))
  expect_seedlock_error(parse_seedlock(bad), "invalid-json", "")
})

test_that("a missing file is an io-error", {
  expect_seedlock_error(read_seedlock(tempfile(fileext = ".json")), "io-error", "")
})

test_that("the shipped examples are valid", {
  for (f in list.files(file.path(seedlock_spec_dir(), "examples"), full.names = TRUE)) {
    expect_s3_class(read_seedlock(f), "seedlock_manifest")
  }
})

test_that("canonical JSON sorts members by code point and escapes minimally", {
  x <- list(b = 1L, a = list("q\"\n\u00e9", TRUE, NULL), B = 2.0)
  expect_identical(canonical_json(x), "{\"B\":2,\"a\":[\"q\\\"\\n\u00e9\",true,null],\"b\":1}")
})
