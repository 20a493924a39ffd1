vector_text <- function(inp) {
  if (!is.null(inp$text)) inp$text else jsonlite::toJSON(inp$document, auto_unbox = TRUE, digits = NA, null = "null")
}

test_that("every invalid vector is rejected with its code, pointer and position", {
  for (case in Filter(function(c) !is.null(c[["error"]]), vector_cases("invalid"))) {
    err <- expect_seedlock_error(parse_seedlock(vector_text(case$input)), case$error$code, case$error$pointer, label = case$label)
    if (!is.null(case$error$line)) {
      expect_identical(c(err$line, err$column), c(case$error$line, case$error$column), label = case$label)
      expect_match(conditionMessage(err), sprintf("(line %d, column %d)", case$error$line, case$error$column), fixed = TRUE)
    }
  }
})

test_that("a document with one fault lists exactly that fault", {
  for (case in Filter(function(c) !is.null(c[["error"]]), vector_cases("invalid"))) {
    found <- seedlock_problems(text = vector_text(case$input))
    expect_identical(paste(found$code, found$pointer), paste(case$error$code, case$error$pointer), label = case$label)
  }
})

test_that("every fault of a document is listed in document order", {
  cases <- Filter(function(c) !is.null(c[["errors"]]), vector_cases("invalid"))
  expect_gt(length(cases), 0L)
  for (case in cases) {
    found <- seedlock_problems(text = vector_text(case$input))
    expected <- vapply(case$errors, function(e) paste(e$code, e$pointer), character(1))
    expect_identical(paste(found$code, found$pointer), expected, label = case$label)
  }
})

test_that("the list of faults is bounded at 50", {
  stages <- lapply(0:79, function(i) list(frameworks = list("numpy"), sed = i))
  names(stages) <- paste0("s", 0:79)
  text <- jsonlite::toJSON(list(version = "1.0", seed = 1, stages = stages), auto_unbox = TRUE)
  found <- seedlock_problems(text = text)
  expect_identical(nrow(found), 50L)
  expect_identical(found$pointer[1:2], c("/stages/s0/sed", "/stages/s1/sed"))
})

test_that("form feed, vertical tab and text after the document are not JSON", {
  base <- '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}'
  for (text in c(paste0("{\f", substring(base, 2)), paste0("{\v", substring(base, 2)), paste0(base, '"'),
                 paste0(base, '"abc'), paste0(base, ' "abc"'), paste0(base, "\f"))) {
    expect_seedlock_error(parse_seedlock(text), "invalid-json", "", label = deparse(text))
  }
})

test_that("a syntax error names its line and column", {
  err <- seedlock_condition(parse_seedlock('{\n  "version": "1.0",\n  "seed": 42,\n}'))
  expect_identical(conditionMessage(err), "Invalid JSON: trailing comma before '}' (line 3, column 13)")
})

test_that("misspelt names are answered with the name meant", {
  err <- seedlock_condition(parse_seedlock('{"version": "1.0", "sed": 1, "stages": {"t": {"frameworks": ["nunpy"]}}}'))
  expect_identical(conditionMessage(err), "Unknown field 'sed' (did you mean 'seed'?) at '/sed'")
  err <- seedlock_condition(parse_seedlock('{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["NumPy"]}}}'))
  expect_identical(conditionMessage(err), "Unknown framework 'NumPy' (did you mean 'numpy'?) at '/stages/t/frameworks/0'")
  lock <- simple_lock(stage = "train")
  err <- seedlock_condition(stage_seed(lock, "trian"))
  expect_identical(conditionMessage(err), "No stage 'trian' (did you mean 'train'?) (stages: train) at '/stages/trian'")
})

test_that("every error code has the documented condition class", {
  for (code in seedlock:::seedlock_codes) {
    class <- seedlock_error_class(code)
    expect_identical(class, paste0("seedlock_error_", gsub("-", "_", code)))
    cond <- tryCatch(seedlock:::seedlock_abort(code, "x"), error = function(e) e)
    expect_s3_class(cond, class)
    expect_identical(cond$code, code)
  }
  caught <- tryCatch(stage_seed(simple_lock(), "nope"), seedlock_error_unknown_stage = function(e) e$code)
  expect_identical(caught, "unknown-stage")
  expect_error(seedlock_error_class("unknown_stage"), "one seedlock error code")
})

test_that("the documentation lists the condition class of every code", {
  # The source man/ under devtools/testthat, the installed help database under R CMD check.
  source_rd <- system.file("man", "seedlock_error.Rd", package = "seedlock")
  rd <- if (nzchar(source_rd)) tools::parse_Rd(source_rd) else tools::Rd_db("seedlock")[["seedlock_error.Rd"]]
  rd <- paste(as.character(rd, deparse = TRUE), collapse = "")
  for (code in seedlock:::seedlock_codes) expect_match(rd, seedlock_error_class(code), fixed = TRUE, label = code)
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

test_that("a manifest file's missing or escaping inputs are problems, as resolving finds them", {
  dir <- withr::local_tempdir()
  project <- file.path(dir, "project")
  dir.create(project)
  system2("git", c("init", "-q", shQuote(project)))
  writeLines("x", file.path(dir, "outside.csv"))
  dir.create(file.path(project, "data"))
  path <- file.path(project, "m.json")
  writeLines('{"version": "1.0", "seed": 1, "inputs": ["data", "nope.csv", "../outside.csv"], "params": ["p.yaml"],
              "stages": {"t": {"frameworks": ["r"]}}}', path)
  found <- seedlock_problems(path)
  expect_identical(paste(found$code, found$pointer),
                   c("io-error /inputs/1", "path-outside-root /inputs/2", "io-error /params/0"))
  expect_identical(found$message[[1]], "Cannot read nope.csv: No such file or directory")
  writeLines('{"version": "1.0", "seed": 1, "inputs": ["data"], "stages": {"t": {"frameworks": ["r"]}}}', path)
  expect_identical(nrow(seedlock_problems(path)), 0L)
})

test_that("an input that is a FIFO, or a directory holding a FIFO or a dangling link, is io-error as resolving finds it", {
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  dir.create(file.path(dir, "d1"))
  dir.create(file.path(dir, "d2"))
  writeLines("1", file.path(dir, "d1", "ok.csv"))
  writeLines("1", file.path(dir, "ok.csv"))
  system2("mkfifo", shQuote(c(file.path(dir, "fifo"), file.path(dir, "d1", "fifo"))))
  file.symlink(file.path(dir, "nowhere"), file.path(dir, "d2", "dangling"))
  path <- file.path(dir, "m.json")
  writeLines('{"version": "1.0", "seed": 1, "inputs": ["ok.csv", "fifo", "d1", "d2"], "stages": {"t": {"frameworks": ["r"]}}}', path)
  found <- seedlock_problems(path)
  expect_identical(paste(found$code, found$pointer), c("io-error /inputs/1", "io-error /inputs/2", "io-error /inputs/3"))
})

test_that("a 1.0 document cannot name jax or an extension, and says which version defines them", {
  err <- seedlock_condition(parse_seedlock('{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["jax"]}}}'))
  expect_identical(conditionMessage(err),
                   "Framework 'jax' is defined from version 1.1; this document is version 1.0 at '/stages/t/frameworks/0'")
  m <- parse_seedlock('{"version": "1.1", "seed": 1, "stages": {"t": {"frameworks": ["jax", "x-faker"]}}}')
  expect_identical(m$stages$t$frameworks, c("jax", "x-faker"))
})

test_that("a 1.1 lock with jax and an extension is written and read back identical", {
  lock <- resolve_seedlock(parse_seedlock(
    '{"version": "1.1", "seed": 3, "stages": {"t": {"frameworks": ["jax", "x-faker", "r"]}}}'), env = character(0))
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path))
  write_seedlock(lock, path)
  text <- paste(readLines(path, warn = FALSE), collapse = "\n")
  expect_match(text, '"lock-version": "1.1"', fixed = TRUE)
  written <- jsonlite::fromJSON(path, simplifyVector = FALSE)$stages$t$frameworks[["x-faker"]]$settings
  expect_identical(written, structure(list(), names = character(0))) # an empty object, not an array
  again <- read_seedlock(path)
  expect_identical(stage_seed(again, "t", "x-faker"), derive_seed(derive_seed(3, "t"), "x-faker"))
  expect_identical(again$stages$t$frameworks$jax$settings$prng_impl, "threefry2x32")
})
