# spec/registry.json is the single source of the closed lists; this binding's copies must agree.

registry <- function() {
  jsonlite::read_json(file.path(seedlock_spec_dir(), "registry.json"), simplifyVector = FALSE)
}

test_that("the error codes are the registry's codes", {
  codes <- vapply(registry()$errors, function(e) e$code, character(1))
  expect_setequal(seedlock_codes, codes)
  expect_length(seedlock_codes, length(codes))
})

test_that("the frameworks are the registry's, in application order", {
  names <- vapply(registry()$frameworks, function(f) f$name, character(1))
  expect_identical(frameworks_all, names)
  since <- vapply(registry()$frameworks, function(f) f$since, character(1))
  expect_identical(frameworks_since, stats::setNames(since, names))
})

test_that("the extension rules and the latest version are the registry's", {
  ext <- registry()$extensions
  expect_identical(c(extension_prefix, extension_pattern, extensions_since), c(ext$prefix, ext$pattern, ext$since))
  expect_identical(latest_version, registry()$spec_version)
  expect_identical(sprintf("1.%d", supported_minor), registry()$spec_version)
})

test_that("each framework has the registry's settings, defaults and allowed values", {
  for (fw in registry()$frameworks) {
    settings <- vapply(fw$settings, function(s) s$name, character(1))
    expect_identical(names(settings_defaults[[fw$name]]), settings, label = fw$name)
    expect_identical(names(settings_checks[[fw$name]]), settings, label = fw$name)
    for (s in fw$settings) {
      label <- paste(fw$name, s$name)
      default <- settings_defaults[[fw$name]][[s$name]]
      if (s$type == "string-array") {
        expect_identical(default, list(), label = label)
      } else {
        expect_identical(default, s$default, label = label)
      }
      check <- settings_checks[[fw$name]][[s$name]]
      if (s$type == "enum") {
        expect_identical(settings_values[[fw$name]][[s$name]], unlist(s$values), label = label)
        for (value in s$values) expect_identical(check(value, "/x"), value, label = label)
        expect_seedlock_error(check("Nope", "/x"), "invalid-value", "/x", label = label)
      } else {
        expect_null(settings_values[[fw$name]][[s$name]], label = label)
      }
    }
  }
})
