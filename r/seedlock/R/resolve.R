# Resolution (SPEC.md section 4): environment variables, generated seeds, derivation by name.

env_seed <- function(env, variable, pointer) {
  raw <- env[[variable]]
  if (is.null(raw) || is.na(raw) || identical(raw, "")) return(NULL)
  if (identical(raw, "generate")) return("generate")
  if (!grepl("^(0|[1-9][0-9]*)$", raw) || nchar(raw) > 10 || as.numeric(raw) > seed_max) {
    shown <- if (nchar(raw) <= 40) raw else paste0(substr(raw, 1, 37), "...")
    seedlock_abort("invalid-env-value", sprintf(
      "Invalid value '%s' in %s (expected a decimal integer in [0, 2147483647] or 'generate')", shown, variable), pointer)
  }
  as.integer(raw)
}

# SEEDLOCK_SEED_* variables set to something but matching no stage (SPEC.md section 4.4), in
# code-point order, each as list(variable, suggestion, problem).
unknown_stage_variables <- function(manifest, env) {
  prefix <- "SEEDLOCK_SEED_"
  stage_names <- names(manifest$stages)
  suffixes <- substring(vapply(stage_names, stage_variable, character(1)), nchar(prefix) + 1L)
  names(stage_names) <- suffixes
  keys <- as.character(names(env))
  candidates <- keys[startsWith(keys, prefix)]
  out <- list()
  for (variable in sort(candidates, method = "radix")) {
    value <- env[[variable]]
    if (variable %in% paste0(prefix, suffixes) || is.null(value) || is.na(value) || identical(value, "")) next
    guess <- closest_name(substring(variable, nchar(prefix) + 1L), suffixes)
    meant <- if (is.null(guess)) {
      sprintf(" (stages: %s)", paste(stage_names, collapse = ", "))
    } else {
      sprintf(" (did you mean stage '%s', whose variable is %s%s?)", stage_names[[guess]], prefix, guess)
    }
    out[[length(out) + 1L]] <- list(variable = variable, suggestion = if (is.null(guess)) NULL else stage_names[[guess]],
                                     problem = sprintf("%s matches no stage of the manifest%s", variable, meant))
  }
  out
}

seedlock_warn <- function(code, problem, pointer = "", ...) {
  cond <- structure(
    class = c(sub("^seedlock_error_", "seedlock_warning_", seedlock_error_class(code)), "seedlock_warning", "warning",
              "condition"),
    list(message = if (nzchar(pointer)) sprintf("%s at '%s'", problem, pointer) else problem, call = NULL, code = code, pointer = pointer, problem = problem,
         ...)
  )
  warning(cond)
}

# A seed from the operating system's CSPRNG, uniform in [0, 2^31 - 1].
draw_os_seed <- function() {
  bytes <- tryCatch({
    con <- file("/dev/urandom", "rb", raw = TRUE)
    on.exit(close(con))
    readBin(con, "raw", 4L)
  }, error = function(e) raw(0), warning = function(w) raw(0))
  if (length(bytes) != 4L) {
    stop("This platform has no /dev/urandom to draw a seed from; set the seed explicitly.", call. = FALSE)
  }
  values <- as.integer(bytes)
  (values[[1]] %% 128L) * 16777216 + values[[2]] * 65536 + values[[3]] * 256 + values[[4]]
}

as_env <- function(env) {
  if (is.null(env)) return(as.list(Sys.getenv()))
  if (is.character(env)) return(as.list(env))
  if (is.list(env)) return(env)
  stop("`env` must be a named character vector or list.", call. = FALSE)
}

#' Resolve a manifest into a lock
#'
#' Picks every seed as SPEC.md section 4 says: `SEEDLOCK_SEED` overrides the root seed,
#' `SEEDLOCK_SEED_<STAGE>` a stage seed (empty values count as unset), `"generate"` draws from the
#' operating system, and every seed not given is derived by name. The result is the same lock the
#' Python binding resolves (without provenance).
#'
#' A set `SEEDLOCK_SEED_*` variable that is no stage's variable (say `SEEDLOCK_SEED_TRIAN`) would
#' change nothing, so it is reported: a warning of class `seedlock_warning_unknown_stage_variable`
#' (fields `code`, `pointer`, `variable`, `suggestion`: the stage probably meant), or with
#' `strict = TRUE` an error of class `seedlock_error_unknown_stage_variable`.
#'
#' @param manifest A manifest from [read_seedlock()] or [parse_seedlock()].
#' @param env Environment variables as a named character vector or list; default `Sys.getenv()`.
#' @param draw A function returning a seed, replacing the operating system's generator (for tests).
#' @param strict If `TRUE`, a `SEEDLOCK_SEED_*` variable that matches no stage is an error.
#' @return A `seedlock_lock`.
#' @examples
#' m <- parse_seedlock('{"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["r"]}}}')
#' lock <- resolve_seedlock(m, env = c(SEEDLOCK_SEED_TRAIN = "7"))
#' stage_seed(lock, "train")
#' @export
resolve_seedlock <- function(manifest, env = NULL, draw = NULL, strict = FALSE) {
  if (!inherits(manifest, "seedlock_manifest")) stop("`manifest` must be a seedlock manifest.", call. = FALSE)
  env <- as_env(env)
  if (is.null(draw)) draw <- draw_os_seed
  pick <- function(variable, pointer, declared) {
    from_env <- env_seed(env, variable, pointer)
    value <- if (!is.null(from_env)) from_env else declared
    if (is.null(value)) return(NULL)
    if (identical(value, "generate")) return(list(seed = checked_draw(draw), source = "generated", variable = NULL))
    if (!is.null(from_env)) return(list(seed = as.integer(value), source = "env", variable = variable))
    list(seed = as.integer(value), source = "manifest", variable = NULL)
  }
  root <- pick("SEEDLOCK_SEED", "/seed", manifest$seed)
  stages <- list()
  # Draws happen root first, then stages in code-point order of their names (SPEC.md section 4.2).
  for (name in sorted_names(manifest$stages)) {
    st <- manifest$stages[[name]]
    chosen <- pick(stage_variable(name), pointer_join("/stages", name, "seed"), st$seed)
    if (is.null(chosen)) chosen <- list(seed = derive_seed(root$seed, name), source = "derived", variable = NULL)
    explicit <- st$frameworks[st$frameworks %in% names(st$seeds)]
    derived <- setdiff(st$frameworks, explicit)
    derived_seeds <- if (length(derived)) derive_seed(chosen$seed, as.list(derived)) else integer(0)
    names(derived_seeds) <- derived
    fws <- list()
    for (fw in st$frameworks) {
      settings <- merged_settings(fw, manifest$settings, st$settings)
      fws[[fw]] <- if (fw %in% explicit) {
        list(seed = as.integer(st$seeds[[fw]]), source = "manifest", variable = NULL, settings = settings)
      } else {
        list(seed = derived_seeds[[fw]], source = "derived", variable = NULL, settings = settings)
      }
    }
    chosen$name <- name
    chosen$frameworks <- fws
    chosen$take_over <- st$take_over  # SPEC.md 6.4: copied as written, absent stays absent
    stages[[name]] <- chosen
  }
  unknown <- unknown_stage_variables(manifest, env)
  if (length(unknown) && isTRUE(strict)) seedlock_abort("unknown-stage-variable", unknown[[1]]$problem, "/stages")
  for (u in unknown) seedlock_warn("unknown-stage-variable", u$problem, "/stages", variable = u$variable, suggestion = u$suggestion)
  # The lock speaks the manifest's version (SPEC.md section 2.1): a 1.0 manifest still gives a 1.0 lock.
  structure(list(version = manifest$version, derivation = "sha256-v1", rules = 2L, root = root, stages = stages[names(manifest$stages)],
                 manifest = list(sha256 = sha256_hex(canonical_json(manifest$document)), path = manifest$path),
                 provenance = list(binding = "r", r = as.character(getRversion()),
                                   seedlock = as.character(utils::packageVersion("seedlock"))),
                 path = NULL),
            class = "seedlock_lock")
}

checked_draw <- function(draw) {
  value <- draw()
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value < 0 || value > seed_max || value != floor(value)) {
    stop("`draw` returned a value outside [0, 2147483647].", call. = FALSE)
  }
  as.integer(value)
}
