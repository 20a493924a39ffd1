# Framework names and settings (SPEC.md section 6). spec/registry.json is the source: a test fails
# when these lists differ from it.

frameworks_all <- c("tensorflow", "torch", "numpy", "python", "r", "caffe")

r_kinds <- c("Wichmann-Hill", "Marsaglia-Multicarry", "Super-Duper", "Mersenne-Twister",
             "Knuth-TAOCP", "Knuth-TAOCP-2002", "L'Ecuyer-CMRG")
r_normal_kinds <- c("Kinderman-Ramage", "Ahrens-Dieter", "Box-Muller", "Inversion")
r_sample_kinds <- c("Rejection", "Rounding")
bit_generators <- c("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")

# The allowed values of each setting that takes one of a set of strings.
settings_values <- list(
  numpy = list(bit_generator = bit_generators),
  r = list(kind = r_kinds, normal_kind = r_normal_kinds, sample_kind = r_sample_kinds)
)

settings_defaults <- list(
  python = list(hash_seed = TRUE),
  numpy = list(bit_generator = "PCG64"),
  torch = list(deterministic = TRUE, warn_only = FALSE, num_threads = NULL),
  tensorflow = list(op_determinism = TRUE),
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
  r = list(kind = function(x, p) check_choice(x, r_kinds, p),
           normal_kind = function(x, p) check_choice(x, r_normal_kinds, p),
           sample_kind = function(x, p) check_choice(x, r_sample_kinds, p)),
  caffe = list(solvers = function(x, p) check_paths(x, p))
)

check_framework <- function(name, pointer) {
  check_string(name, pointer)
  if (!name %in% frameworks_all) {
    guess <- did_you_mean(name, frameworks_all)
    if (!nzchar(guess)) guess <- sprintf(" (expected one of %s)", paste(sort(frameworks_all, method = "radix"), collapse = ", "))
    seedlock_abort("unknown-framework", sprintf("Unknown framework '%s'%s", name, guess), pointer)
  }
  name
}

check_framework_settings <- function(name, value, pointer, complete = FALSE) {
  checks <- settings_checks[[name]]
  check_object(value, pointer)
  check_members(value, pointer, if (complete) names(checks) else character(0), names(checks))
  out <- structure(list(), names = character(0))
  for (key in names(checks)) {
    if (key %in% names(value)) {
      checked <- checks[[key]](value[[key]], pointer_join(pointer, key))
      out[key] <- list(checked)
    }
  }
  out
}

check_settings_block <- function(value, pointer) {
  check_object(value, pointer)
  for (key in sorted_names(value)) check_framework(key, pointer_join(pointer, key))
  out <- list()
  for (key in names(value)) out[[key]] <- check_framework_settings(key, value[[key]], pointer_join(pointer, key))
  out
}

merged_settings <- function(name, ...) {
  out <- settings_defaults[[name]]
  for (layer in list(...)) {
    over <- layer[[name]]
    for (key in names(over)) out[key] <- list(over[[key]])
  }
  out
}
