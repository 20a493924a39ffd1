# spec/registry.json drives this binding: registry-data.R is generated from it (spec/tools/
# generate_from_registry.py --check fails when it is stale); these tests check what the data drives.

registry <- function() {
  jsonlite::read_json(file.path(seedlock_spec_dir(), "registry.json"), simplifyVector = FALSE)
}

test_that("the latest version is the registry's", {
  expect_identical(latest_version, registry()$spec_version)
  expect_identical(sprintf("1.%d", supported_minor), registry()$spec_version)
})

test_that("the one settings checker accepts what the registry allows and rejects the rest", {
  wrong <- list(boolean = list(1, "invalid-type"), enum = list("Nope", "invalid-value"),
                `integer-or-null` = list(0, "invalid-value"), `string-array` = list(list(""), "invalid-value"))
  for (fw in registry()$frameworks) {
    for (s in fw$settings) {
      label <- paste(fw$name, s$name)
      check <- settings_checks[[fw$name]][[s$name]]
      values <- if (s$type == "enum") s$values else list(settings_defaults[[fw$name]][[s$name]])
      for (value in values) expect_identical(check(value, "/x"), value, label = label)
      bad <- wrong[[s$type]]
      expect_seedlock_error(check(bad[[1]], "/x"), bad[[2]], label = label)
    }
  }
})

test_that("a thread count below its minimum names the quantity and the minimum", {
  expect_seedlock_error(settings_checks$torch$num_threads(0, "/x"), "invalid-value", "/x")
  err <- tryCatch(settings_checks$torch$num_threads(0, "/x"), seedlock_error = function(e) e)
  expect_match(conditionMessage(err), "Thread count 0 is below 1", fixed = TRUE)
  expect_seedlock_error(settings_checks$torch$num_threads(TRUE, "/x"), "invalid-type", "/x")
})
