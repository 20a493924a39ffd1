# Probes for `seedlock verify --locate` (spec section 12): record a value under a name; the locator
# compares two runs' probes in order and reports the first that differs. Outside the locator (no
# SEEDLOCK_LOCATE) a probe does nothing.

.probe_state <- new.env(parent = emptyenv())

#' Record a value for the divergence locator
#'
#' `probe(name, x)` writes one record (spec section 12) when `seedlock verify --locate` runs the
#' script, and does nothing otherwise. Arrays are written in row-major order with their dimensions,
#' as the Python binding writes them.
#'
#' @param name The probe's name (a string).
#' @param x A numeric, integer, logical or character vector, matrix or array.
#' @param step The script's own step (epoch, batch); default: how many probes of this name came before.
#' @return `NULL`, invisibly.
#' @export
probe <- function(name, x, step = NULL) {
  directory <- Sys.getenv("SEEDLOCK_LOCATE")
  if (!nzchar(directory)) return(invisible(NULL))
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    stop("`name` must be one string", call. = FALSE)
  }
  if (!is.atomic(x)) stop("`x` must be a vector, matrix or array", call. = FALSE)
  counts <- if (is.null(.probe_state$counts)) list() else .probe_state$counts
  occurrence <- if (is.null(counts[[name]])) 0L else counts[[name]]
  counts[[name]] <- occurrence + 1L
  .probe_state$counts <- counts
  if (is.null(step)) step <- occurrence
  record <- probe_record(name, x, as.integer(step))
  seq <- if (is.null(.probe_state$seq)) 0L else .probe_state$seq
  .probe_state$seq <- seq + 1L
  if (is.null(.probe_state$file)) {
    dir.create(directory, recursive = TRUE, showWarnings = FALSE)
    rank <- Sys.getenv("RANK", "0")
    stamp <- format(as.numeric(Sys.time()) * 1e9, scientific = FALSE, digits = 19)
    .probe_state$file <- file.path(directory, sprintf("rank%s-%s-%d.jsonl", rank, sub("\\..*", "", stamp), Sys.getpid()))
  }
  line <- sprintf('{"seq":%d,"rank":%s,%s}', seq, as.integer(Sys.getenv("RANK", "0")), record)
  cat(line, "\n", file = .probe_state$file, sep = "", append = TRUE)
  invisible(NULL)
}

# The members of a probe record after seq and rank, as JSON text.
probe_record <- function(name, x, step) {
  d <- dim(x)
  shape <- if (is.null(d)) length(x) else d
  # R stores arrays column-major; records are row-major (spec section 12), as C and numpy are.
  values <- if (is.null(d)) as.vector(x) else as.vector(aperm(x, rev(seq_along(d))))
  dtype <- typeof(x)
  text <- probe_values(values)
  digest <- substr(digest::digest(paste0(paste(shape, collapse = ","), "|", dtype, "|", text), algo = "sha256",
                                  serialize = FALSE), 1L, 32L)
  sprintf('"type":"probe","step":%d,"kind":"probe","name":%s,"shape":[%s],"dtype":"%s","digest":"%s","values":[%s]',
          step, jsonlite::toJSON(name, auto_unbox = TRUE), paste(shape, collapse = ","), dtype, digest, text)
}

# Values as JSON: doubles with 17 significant digits (exact), NaN and infinities as strings, NA as null.
probe_values <- function(values) {
  if (is.character(values)) {
    out <- vapply(values, function(v) if (is.na(v)) "null" else as.character(jsonlite::toJSON(v, auto_unbox = TRUE)), "")
  } else if (is.logical(values)) {
    out <- ifelse(is.na(values), "null", ifelse(values, "true", "false"))
  } else if (is.integer(values)) {
    out <- ifelse(is.na(values), "null", as.character(values))
  } else {
    out <- sprintf("%.17g", values)
    out[is.nan(values)] <- '"nan"'
    out[!is.nan(values) & is.na(values)] <- "null"
    out[values == Inf & !is.na(values)] <- '"inf"'
    out[values == -Inf & !is.na(values)] <- '"-inf"'
  }
  paste(out, collapse = ",")
}
