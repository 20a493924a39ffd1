# Framework names and settings (SPEC.md section 6). spec/registry.json is the source: a test fails
# when these lists differ from it.

frameworks_all <- c("tensorflow", "torch", "numpy", "jax", "python", "r", "caffe")
# The specification version that introduced each framework (SPEC.md section 2.1).
frameworks_since <- c(tensorflow = "1.0", torch = "1.0", numpy = "1.0", jax = "1.1", python = "1.0", r = "1.0",
                      caffe = "1.0")
# Extensions (SPEC.md section 2.2): x- followed by a label; no built-in framework ever starts with x-.
extension_prefix <- "x-"
extension_pattern <- "^x-[a-z0-9][a-z0-9_.-]{0,60}$"
extensions_since <- "1.1"
latest_version <- "1.2"
# The version that introduced a stage's take_over member (SPEC.md sections 2 and 6.4).
take_over_since <- "1.2"
jax_prng_impls <- c("threefry2x32", "rbg", "unsafe_rbg")

r_kinds <- c("Wichmann-Hill", "Marsaglia-Multicarry", "Super-Duper", "Mersenne-Twister",
             "Knuth-TAOCP", "Knuth-TAOCP-2002", "L'Ecuyer-CMRG")
r_normal_kinds <- c("Kinderman-Ramage", "Ahrens-Dieter", "Box-Muller", "Inversion")
r_sample_kinds <- c("Rejection", "Rounding")
bit_generators <- c("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")

# The allowed values of each setting that takes one of a set of strings.
settings_values <- list(
  numpy = list(bit_generator = bit_generators),
  jax = list(prng_impl = jax_prng_impls),
  r = list(kind = r_kinds, normal_kind = r_normal_kinds, sample_kind = r_sample_kinds)
)

settings_defaults <- list(
  python = list(hash_seed = TRUE),
  numpy = list(bit_generator = "PCG64"),
  torch = list(deterministic = TRUE, warn_only = FALSE, num_threads = NULL),
  tensorflow = list(op_determinism = TRUE),
  jax = list(prng_impl = "threefry2x32", threefry_partitionable = TRUE, deterministic_ops = TRUE),
  r = list(kind = "Mersenne-Twister", normal_kind = "Inversion", sample_kind = "Rejection"),
  caffe = list(solvers = list())
)

check_threads <- function(x, pointer) {
  if (is.null(x)) return(NULL)
  if (!is.numeric(x) || length(x) != 1L) {
    seedlock_abort("invalid-type", sprintf("Unexpected type %s (expected integer or null)", json_type(x)), pointer)
  }
  x <- check_integer(x, pointer)
  if (x < 1) seedlock_abort("invalid-value", sprintf("Thread count %s is below 1", format_number(x)), pointer)
  x
}

settings_checks <- list(
  python = list(hash_seed = function(x, p) check_boolean(x, p)),
  numpy = list(bit_generator = function(x, p) check_choice(x, bit_generators, p)),
  torch = list(deterministic = function(x, p) check_boolean(x, p),
               warn_only = function(x, p) check_boolean(x, p),
               num_threads = check_threads),
  tensorflow = list(op_determinism = function(x, p) check_boolean(x, p)),
  jax = list(prng_impl = function(x, p) check_choice(x, jax_prng_impls, p),
             threefry_partitionable = function(x, p) check_boolean(x, p),
             deterministic_ops = function(x, p) check_boolean(x, p)),
  r = list(kind = function(x, p) check_choice(x, r_kinds, p),
           normal_kind = function(x, p) check_choice(x, r_normal_kinds, p),
           sample_kind = function(x, p) check_choice(x, r_sample_kinds, p)),
  caffe = list(solvers = function(x, p) check_paths(x, p))
)

is_extension <- function(name) startsWith(name, extension_prefix)

version_number <- function(version) as.numeric(strsplit(version, ".", fixed = TRUE)[[1]])

version_before <- function(a, b) {
  a <- version_number(a)
  b <- version_number(b)
  a[[1]] < b[[1]] || (a[[1]] == b[[1]] && a[[2]] < b[[2]])
}

check_since <- function(what, since, version, pointer) {
  if (version_before(version, since)) {
    seedlock_abort("unknown-framework", sprintf("%s is defined from version %s; this document is version %s", what, since,
                                                version), pointer)
  }
}

# A framework or extension name a document of `version` may use (SPEC.md sections 2, 2.1, 2.2).
check_framework <- function(name, pointer, version = latest_version) {
  check_string(name, pointer)
  if (is_extension(name)) {
    if (!grepl(extension_pattern, name, perl = TRUE) || any(utf8ToInt(name) > 127L)) {
      seedlock_abort("invalid-label", sprintf("Extension name '%s' is not x- followed by a label", name), pointer)
    }
    check_since(sprintf("Extension '%s'", name), extensions_since, version, pointer)
    return(name)
  }
  if (!name %in% frameworks_all) {
    guess <- did_you_mean(name, frameworks_all)
    if (!nzchar(guess)) guess <- sprintf(" (expected one of %s, or an extension x-<name>)", paste(sort(frameworks_all, method = "radix"), collapse = ", "))
    seedlock_abort("unknown-framework", sprintf("Unknown framework '%s'%s", name, guess), pointer)
  }
  check_since(sprintf("Framework '%s'", name), frameworks_since[[name]], version, pointer)
  name
}

check_framework_settings <- function(name, value, pointer, complete = FALSE) {
  checks <- settings_checks[[name]]
  members <- if (is.null(checks)) character(0) else names(checks) # an extension has no settings
  check_object(value, pointer)
  check_members(value, pointer, if (complete) members else character(0), members)
  out <- structure(list(), names = character(0))
  for (key in names(checks)) {
    if (key %in% names(value)) {
      checked <- checks[[key]](value[[key]], pointer_join(pointer, key))
      out[key] <- list(checked)
    }
  }
  out
}

check_settings_block <- function(value, pointer, version = latest_version) {
  check_object(value, pointer)
  for (key in sorted_names(value)) {
    check_framework(key, pointer_join(pointer, key), version)
    if (is_extension(key)) seedlock_abort("unknown-field", sprintf("Extension '%s' has no settings", key), pointer_join(pointer, key))
  }
  out <- list()
  for (key in names(value)) out[[key]] <- check_framework_settings(key, value[[key]], pointer_join(pointer, key))
  out
}

merged_settings <- function(name, ...) {
  out <- settings_defaults[[name]]
  if (is.null(out)) out <- structure(list(), names = character(0)) # an extension: no settings
  for (layer in list(...)) {
    over <- layer[[name]]
    for (key in names(over)) out[key] <- list(over[[key]])
  }
  out
}
