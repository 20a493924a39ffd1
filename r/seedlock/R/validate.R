# Validation of manifests (SPEC.md section 2) and locks (section 5), reporting the same error codes
# and pointers as the Python binding; no JSON Schema library is needed.

supported_major <- 1
supported_minor <- 2

wrong_type <- function(x, expected, pointer) {
  seedlock_abort("invalid-type", sprintf("Unexpected type %s (expected %s)", json_type(x), expected), pointer)
}

check_object <- function(x, pointer) {
  if (!is_object(x)) wrong_type(x, "object", pointer)
  x
}

check_members <- function(x, pointer, required, optional) {
  allowed <- c(required, optional)
  for (key in sorted_names(x)) {
    if (!key %in% allowed) {
      seedlock_abort("unknown-field", sprintf("Unknown field '%s'%s", key, did_you_mean(key, setdiff(allowed, names(x)))),
                     pointer_join(pointer, key))
    }
  }
  for (key in required) {
    if (!key %in% names(x)) {
      seedlock_abort("missing-field", sprintf("Missing required field '%s'", key), pointer_join(pointer, key))
    }
  }
  invisible(x)
}

check_string <- function(x, pointer) {
  if (!is.character(x) || length(x) != 1L) wrong_type(x, "string", pointer)
  x
}

check_boolean <- function(x, pointer) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) wrong_type(x, "boolean", pointer)
  x
}

check_choice <- function(x, allowed, pointer) {
  check_string(x, pointer)
  if (!x %in% allowed) {
    seedlock_abort("invalid-value", sprintf("Unexpected value '%s' (expected one of %s)", x, paste(allowed, collapse = ", ")), pointer)
  }
  x
}

# Integral numbers are integers (SPEC.md section 1.2): jsonlite cannot tell 42.0 from 42 anyway.
check_integer <- function(x, pointer) {
  if (!is.numeric(x) || length(x) != 1L) wrong_type(x, "integer", pointer)
  if (identical(x, inexact_number)) {
    seedlock_abort("invalid-type", "Unexpected number whose written value is not an integer (expected integer)", pointer)
  }
  if (!is.finite(x) || x != floor(x)) {
    seedlock_abort("invalid-type", sprintf("Unexpected non-integral number %s (expected integer)", format(x, digits = 17)), pointer)
  }
  x
}

check_seed_value <- function(x, pointer, allow_generate = FALSE) {
  expected <- if (allow_generate) 'integer or "generate"' else "integer"
  if (is.character(x) && length(x) == 1L) {
    if (allow_generate && identical(x, "generate")) return(x)
    seedlock_abort("invalid-seed", sprintf("Unexpected string '%s' (expected %s)", x, expected), pointer)
  }
  if (!is.numeric(x) || length(x) != 1L) wrong_type(x, expected, pointer)
  # Inf is what R's reader makes of 1e400 or a 400-digit seed: say what it was, not "Inf".
  if (is.infinite(x)) seedlock_abort("seed-out-of-range", sprintf("Seed %sbeyond 1.8e308 is outside [0, 2147483647]",
                                                                   if (x < 0) "-" else ""), pointer)
  x <- check_integer(x, pointer)
  if (x < 0 || x > seed_max) {
    seedlock_abort("seed-out-of-range", sprintf("Seed %s is outside [0, 2147483647]", format_number(x)), pointer)
  }
  as.integer(x)
}

check_paths <- function(x, pointer) {
  if (!is_array(x)) wrong_type(x, "array", pointer)
  for (i in seq_along(x)) {
    item <- pointer_join(pointer, i - 1L)
    check_string(x[[i]], item)
    if (!nzchar(x[[i]])) seedlock_abort("invalid-value", "A path cannot be empty", item)
  }
  x
}

check_version <- function(x, pointer) {
  check_string(x, pointer)
  if (!grepl("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$", x)) {
    seedlock_abort("invalid-value", sprintf("Invalid version '%s' (expected MAJOR.MINOR)", x), pointer)
  }
  parts <- as.numeric(strsplit(x, ".", fixed = TRUE)[[1]])
  if (parts[[1]] != supported_major || parts[[2]] > supported_minor) {
    seedlock_abort("unsupported-version", sprintf("Unsupported version '%s' (this seedlock reads 1.0 to 1.%d)", x,
                                                  supported_minor), pointer)
  }
  x
}

# The rules version of a lock (SPEC.md section 5.3): absent means 1; new locks are made under 2.
check_rules <- function(x, pointer) {
  value <- check_integer(x, pointer)
  if (!value %in% c(1L, 2L)) {
    seedlock_abort("unsupported-version", sprintf("Rules %s are not implemented (known: 1, 2)", format(value)), pointer)
  }
  as.integer(value)
}

check_derivation <- function(x, pointer) {
  check_string(x, pointer)
  if (!identical(x, "sha256-v1")) {
    seedlock_abort("unknown-derivation", sprintf("Unknown derivation '%s' (expected 'sha256-v1')", x), pointer)
  }
  x
}

check_stage_name <- function(name, pointer) {
  if (!grepl(label_pattern, name, perl = TRUE) || any(utf8ToInt(name) > 127L)) {
    seedlock_abort("invalid-label", sprintf(
      "Invalid label '%s' (expected 1-63 of a-z 0-9 _ . - starting with a-z or 0-9)", name), pointer)
  }
  name
}

stage_variable <- function(stage) paste0("SEEDLOCK_SEED_", gsub("[-.]", "_", toupper(stage)))

validate_manifest <- function(doc, path = NULL) {
  check_object(doc, "")
  if ("version" %in% names(doc)) check_version(doc$version, "/version")
  check_members(doc, "", c("version", "seed", "stages"),
                c("$schema", "description", "derivation", "settings", "inputs", "params", "allow_external_paths"))
  for (key in c("$schema", "description")) if (key %in% names(doc)) check_string(doc[[key]], pointer_join("", key))
  for (key in c("inputs", "params")) if (key %in% names(doc)) check_paths(doc[[key]], pointer_join("", key))
  if ("allow_external_paths" %in% names(doc)) check_boolean(doc$allow_external_paths, "/allow_external_paths")
  derivation <- if ("derivation" %in% names(doc)) check_derivation(doc$derivation, "/derivation") else "sha256-v1"
  root <- check_seed_value(doc$seed, "/seed", allow_generate = TRUE)
  settings <- if ("settings" %in% names(doc)) check_settings_block(doc$settings, "/settings", doc$version) else list()
  check_object(doc$stages, "/stages")
  if (length(doc$stages) == 0L) seedlock_abort("invalid-value", "A manifest needs at least one stage", "/stages")
  stages <- list()
  variables <- character(0)
  for (name in sorted_names(doc$stages)) {
    pointer <- pointer_join("/stages", name)
    check_stage_name(name, pointer)
    stage <- validate_stage(name, doc$stages[[name]], pointer, doc$version)
    variable <- stage_variable(name)
    if (variable %in% names(variables)) {
      seedlock_abort("env-name-collision", sprintf("Stages '%s' and '%s' share the variable %s",
                                                   variables[[variable]], name, variable), pointer)
    }
    variables[[variable]] <- name
    stages[[name]] <- stage
  }
  structure(list(version = doc$version, seed = root, derivation = derivation, settings = settings,
                 stages = stages[names(doc$stages)], path = path, document = normalise_manifest(doc, root, stages)),
            class = "seedlock_manifest")
}

validate_stage <- function(name, value, pointer, version) {
  check_object(value, pointer)
  check_members(value, pointer, "frameworks", c("description", "seed", "seeds", "settings", "take_over"))
  take_over <- check_take_over(value, pointer, version)
  if ("description" %in% names(value)) check_string(value$description, pointer_join(pointer, "description"))
  fw_pointer <- pointer_join(pointer, "frameworks")
  fws <- value$frameworks
  if (!is_array(fws)) wrong_type(fws, "array", fw_pointer)
  if (length(fws) == 0L) seedlock_abort("invalid-value", "A stage needs at least one framework", fw_pointer)
  listed <- character(0)
  for (i in seq_along(fws)) {
    item <- pointer_join(fw_pointer, i - 1L)
    check_framework(fws[[i]], item, version)
    if (fws[[i]] %in% listed) seedlock_abort("duplicate-framework", sprintf("Framework '%s' is listed twice", fws[[i]]), item)
    listed <- c(listed, fws[[i]])
  }
  seed <- if ("seed" %in% names(value)) check_seed_value(value$seed, pointer_join(pointer, "seed"), allow_generate = TRUE)
  seeds <- list()
  if ("seeds" %in% names(value)) {
    seeds_pointer <- pointer_join(pointer, "seeds")
    check_object(value$seeds, seeds_pointer)
    for (fw in sorted_names(value$seeds)) {
      item <- pointer_join(seeds_pointer, fw)
      check_framework(fw, item, version)
      if (!fw %in% listed) seedlock_abort("unlisted-framework", sprintf("Seed for '%s', which the stage does not list", fw), item)
      seeds[[fw]] <- check_seed_value(value$seeds[[fw]], item)
    }
  }
  settings <- list()
  if ("settings" %in% names(value)) {
    settings_pointer <- pointer_join(pointer, "settings")
    settings <- check_settings_block(value$settings, settings_pointer, version)
    for (fw in sorted_names(settings)) {
      if (!fw %in% listed) {
        seedlock_abort("unlisted-framework", sprintf("Settings for '%s', which the stage does not list", fw),
                       pointer_join(settings_pointer, fw))
      }
    }
  }
  list(name = name, frameworks = listed, seed = seed, seeds = seeds, settings = settings, take_over = take_over)
}

# A stage's take_over (manifest or lock): a boolean, in documents of version 1.2 or later; NULL when absent.
check_take_over <- function(value, pointer, version) {
  if (!"take_over" %in% names(value)) return(NULL)
  item <- pointer_join(pointer, "take_over")
  if (version_before(version, take_over_since)) {
    seedlock_abort("unknown-field", sprintf("Unknown field 'take_over' (version %s defines it; this document is %s)",
                                            take_over_since, version), item)
  }
  check_boolean(value$take_over, item)
}

# The manifest with integral numbers as integers, for the canonical hash.
normalise_manifest <- function(doc, root, stages) {
  doc$seed <- root
  for (name in names(doc$stages)) {
    st <- stages[[name]]
    if (!is.null(st$seed)) doc$stages[[name]]$seed <- st$seed
    for (fw in names(st$seeds)) doc$stages[[name]]$seeds[[fw]] <- st$seeds[[fw]]
  }
  doc
}

sources <- c("manifest", "env", "generated", "derived")

validate_resolved <- function(value, pointer, required = character(0), optional = character(0)) {
  check_object(value, pointer)
  check_members(value, pointer, c("seed", "source", required), c("variable", optional))
  seed <- check_seed_value(value$seed, pointer_join(pointer, "seed"))
  source <- check_choice(value$source, sources, pointer_join(pointer, "source"))
  variable <- NULL
  if (source == "env") {
    if (!"variable" %in% names(value)) {
      seedlock_abort("missing-field", "Missing required field 'variable' (source is env)", pointer_join(pointer, "variable"))
    }
    variable <- check_string(value$variable, pointer_join(pointer, "variable"))
  } else if ("variable" %in% names(value)) {
    seedlock_abort("unknown-field", sprintf("Field 'variable' is only allowed with source env, not %s", source),
                   pointer_join(pointer, "variable"))
  }
  list(seed = seed, source = source, variable = variable)
}

validate_lock <- function(doc, path = NULL) {
  check_object(doc, "")
  if ("lock-version" %in% names(doc)) check_version(doc[["lock-version"]], "/lock-version")
  check_members(doc, "", c("lock-version", "derivation", "root", "stages", "manifest"), c("$schema", "provenance", "rules"))
  if ("$schema" %in% names(doc)) check_string(doc[["$schema"]], "/$schema")
  rules <- if ("rules" %in% names(doc)) check_rules(doc$rules, "/rules") else 1L
  check_derivation(doc$derivation, "/derivation")
  root <- validate_resolved(doc$root, "/root")
  if (root$source == "derived") seedlock_abort("invalid-value", "The root seed cannot be derived", "/root/source")
  check_object(doc$stages, "/stages")
  if (length(doc$stages) == 0L) seedlock_abort("invalid-value", "A lock needs at least one stage", "/stages")
  stages <- list()
  for (name in names(doc$stages)) {
    pointer <- pointer_join("/stages", name)
    check_stage_name(name, pointer)
    stages[[name]] <- validate_locked_stage(name, doc$stages[[name]], pointer, root$seed, doc[["lock-version"]])
  }
  manifest <- check_object(doc$manifest, "/manifest")
  check_members(manifest, "/manifest", "sha256", "path")
  sha <- check_string(manifest$sha256, "/manifest/sha256")
  if (!grepl("^[0-9a-f]{64}$", sha)) seedlock_abort("invalid-value", "Expected 64 lower-case hex digits", "/manifest/sha256")
  if ("path" %in% names(manifest)) check_string(manifest$path, "/manifest/path")
  provenance <- if ("provenance" %in% names(doc)) check_object(doc$provenance, "/provenance") else NULL
  structure(list(version = doc[["lock-version"]], derivation = "sha256-v1", rules = rules, root = root, stages = stages,
                 manifest = list(sha256 = sha, path = manifest$path), provenance = provenance, path = path),
            class = "seedlock_lock")
}

validate_locked_stage <- function(name, value, pointer, root_seed, version) {
  st <- validate_resolved(value, pointer, "frameworks", "take_over")
  take_over <- check_take_over(value, pointer, version)
  if (st$source == "derived" && st$seed != derive_seed(root_seed, name)) {
    seedlock_abort("lock-mismatch", sprintf("Stage seed %d does not match derive(%d, '%s') = %d", st$seed, root_seed, name,
                                            derive_seed(root_seed, name)), pointer_join(pointer, "seed"))
  }
  fws_pointer <- pointer_join(pointer, "frameworks")
  check_object(value$frameworks, fws_pointer)
  if (length(value$frameworks) == 0L) seedlock_abort("invalid-value", "A stage needs at least one framework", fws_pointer)
  fws <- list()
  for (fw in names(value$frameworks)) {
    fw_pointer <- pointer_join(fws_pointer, fw)
    check_framework(fw, fw_pointer, version)
    entry <- validate_resolved(value$frameworks[[fw]], fw_pointer, "settings")
    if (entry$source == "derived" && entry$seed != derive_seed(st$seed, fw)) {
      seedlock_abort("lock-mismatch", sprintf("Framework seed %d does not match derive(%d, '%s') = %d", entry$seed, st$seed,
                                              fw, derive_seed(st$seed, fw)), pointer_join(fw_pointer, "seed"))
    }
    entry$settings <- check_framework_settings(fw, value$frameworks[[fw]]$settings, pointer_join(fw_pointer, "settings"),
                                               complete = TRUE)
    fws[[fw]] <- entry
  }
  st$name <- name
  st$frameworks <- fws
  st$take_over <- take_over
  st
}
