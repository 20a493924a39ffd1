# Every fault of a document, not just the first (SPEC.md section 7.1): validate, and after each fault
# repair a copy of the document where the fault is, then validate again. The repairs are the Python
# binding's (python/seedlock/spec/_diagnostics.py), so both bindings list the same faults.

max_problems <- 50L
# A repaired version is the latest (SPEC.md section 7.1): it names everything earlier versions do.
neutral_values <- list(version = "1.2", `lock-version` = "1.2", derivation = "sha256-v1", source = "manifest")
final_codes <- c("invalid-json", "duplicate-key", "unsupported-version")

#' Every fault of a manifest or lock
#'
#' Where [read_seedlock()] stops at the first fault, `seedlock_problems()` lists every fault of a
#' document (at most 50) in document order, as SPEC.md section 7.1 defines and the Python binding's
#' `seedlock validate` reports them. For a manifest file it also checks that the `inputs` and
#' `params` exist inside the project root, as resolving with provenance would.
#'
#' @param path Path of a JSON file.
#' @param text Instead of `path`: JSON text (a string or raw bytes).
#' @return A data frame with one row per fault and columns `code`, `pointer`, `message` (without
#'   the location), `line` and `column` (the position of an `invalid-json` fault, else `NA`); no rows
#'   when the document is valid.
#' @examples
#' seedlock_problems(text = '{"version": "1.0", "sed": 1, "seed": -1, "stages": {"t": {"frameworks": ["nunpy"]}}}')
#' @export
seedlock_problems <- function(path = NULL, text = NULL) {
  if (is.null(text) == is.null(path)) stop("Give either `path` or `text`.", call. = FALSE)
  doc <- tryCatch({
    data <- if (is.null(path)) text else read_document_bytes(path)
    list(value = parse_document(data))
  }, seedlock_error = function(e) e)
  if (inherits(doc, "seedlock_error")) return(problem_frame(list(doc)))
  found <- document_problems(doc$value)
  if (length(found) == 0L && !is.null(path)) {
    document <- from_document(doc$value, path)
    if (inherits(document, "seedlock_manifest")) found <- manifest_path_problems(doc$value, path)
  }
  problem_frame(found)
}

problem_frame <- function(found) {
  field <- function(name, empty) {
    vapply(found, function(e) if (is.null(e[[name]])) empty else e[[name]], if (is.character(empty)) "" else 0L)
  }
  data.frame(code = field("code", ""), pointer = field("pointer", ""), message = field("problem", ""),
             line = field("line", NA_integer_), column = field("column", NA_integer_), stringsAsFactors = FALSE)
}

document_problems <- function(document, limit = max_problems) {
  is_lock <- is_object(document) && "lock-version" %in% names(document)
  check <- if (is_lock) validate_lock else validate_manifest
  work <- document
  found <- list()
  required <- character(0)
  for (round in seq_len(4L * limit)) {
    if (length(found) >= limit) break
    err <- tryCatch({
      check(work)
      NULL
    }, seedlock_error = function(e) e)
    if (is.null(err)) break
    if (err$code == "missing-field" && err$pointer %in% required) {
      work <- put_neutral(work, err$pointer)
      if (is.null(work)) break
      next
    }
    if (explained(err$pointer, found)) break
    found[[length(found) + 1L]] <- err
    if (err$code %in% final_codes) break
    repaired <- repair(work, err)
    if (is.null(repaired)) break
    work <- repaired$document
    if (isTRUE(repaired$removed)) required <- c(required, err$pointer)
  }
  if (length(found) == 0L) return(found)
  keys <- vapply(found, function(e) position_key(document, e$pointer), character(1))
  found[order(keys, method = "radix")]
}

explained <- function(pointer, found) {
  any(vapply(found, function(e) e$pointer == pointer || startsWith(e$pointer, paste0(pointer, "/")), logical(1)))
}

pointer_tokens <- function(pointer) {
  if (pointer == "") return(character(0))
  tokens <- strsplit(substring(pointer, 2L), "/", fixed = TRUE)[[1]]
  if (endsWith(pointer, "/")) tokens <- c(tokens, "")
  gsub("~0", "~", gsub("~1", "/", tokens, fixed = TRUE), fixed = TRUE)
}

# x[[tokens]] for JSON data: array tokens are 0-based indices.
token_index <- function(node, token) if (is_object(node)) token else as.integer(token) + 1L
get_in <- function(x, tokens) {
  for (token in tokens) x <- x[[token_index(x, token)]]
  x
}
set_in <- function(x, tokens, value) {
  if (length(tokens) == 0L) return(value)
  i <- token_index(x, tokens[[1]])
  if (length(tokens) == 1L) {
    if (is.null(value)) x[i] <- NULL else x[[i]] <- value
    return(x)
  }
  x[[i]] <- set_in(x[[i]], tokens[-1], value)
  x
}

neutral_value <- function(document, tokens) {
  last <- tokens[[length(tokens)]]
  if (last %in% names(neutral_values)) return(neutral_values[[last]])
  if (identical(tokens, "seed") && !"lock-version" %in% names(document)) return("generate")
  NULL
}

# The document with the fault at `err$pointer` gone, as list(document, removed), or NULL.
repair <- function(document, err) {
  tokens <- pointer_tokens(err$pointer)
  if (length(tokens) == 0L) return(NULL)
  parent <- tryCatch(get_in(document, tokens[-length(tokens)]), error = function(e) NULL)
  if (!is.list(parent)) return(NULL)
  last <- tokens[[length(tokens)]]
  if (err$code == "missing-field" || (is_object(parent) && !is.null(neutral_value(document, tokens)))) {
    out <- put_neutral(document, err$pointer)
    return(if (is.null(out)) NULL else list(document = out))
  }
  if (err$code == "lock-mismatch" && last == "seed" && is_object(parent)) {
    above <- if (length(tokens) == 3L) document$root$seed else document$stages[[tokens[[2]]]]$seed
    value <- tryCatch(derive_seed(above, tokens[[length(tokens) - 1L]]), error = function(e) NULL)
    return(if (is.null(value)) NULL else list(document = set_in(document, tokens, value)))
  }
  if (is_array(parent)) {
    index <- as.integer(last) + 1L
    if (length(tokens) >= 2L && tokens[[length(tokens) - 1L]] == "frameworks") {
      unused <- setdiff(registry_display_order, unlist(Filter(is.character, parent)))
      parent <- if (length(unused)) replace(parent, index, list(unused[[1]])) else parent[-index]
    } else {
      parent[[index]] <- "placeholder"
    }
    return(list(document = set_in(document, tokens[-length(tokens)], parent)))
  }
  if (is_object(parent) && last %in% names(parent)) {
    return(list(document = set_in(document, tokens, NULL), removed = TRUE))
  }
  NULL
}

# The required member at `pointer` given its neutral value, or its container removed; NULL if neither.
put_neutral <- function(document, pointer) {
  tokens <- pointer_tokens(pointer)
  value <- neutral_value(document, tokens)
  if (!is.null(value)) return(set_in(document, tokens, value))
  if (length(tokens) < 2L) return(NULL)
  grand <- get_in(document, tokens[seq_len(length(tokens) - 2L)])
  if (!is_object(grand)) return(NULL)
  set_in(document, tokens[-length(tokens)], NULL)
}

# A sortable key for a pointer's place in the document: member positions, array indices; a member
# the document lacks sorts after its object's members.
position_key <- function(document, pointer) {
  out <- character(0)
  node <- document
  for (token in pointer_tokens(pointer)) {
    if (is_object(node)) {
      i <- match(token, names(node))
      if (is.na(i)) {
        out <- c(out, sprintf("%08d", length(node)))
        break
      }
    } else if (is.list(node) && grepl("^[0-9]+$", token) && as.numeric(token) < length(node)) {
      i <- as.integer(token) + 1L
    } else {
      out <- c(out, sprintf("%08d", if (is.list(node)) length(node) else 0L))
      break
    }
    out <- c(out, sprintf("%08d", i - 1L))
    node <- node[[i]]
  }
  paste(out, collapse = "/")
}

# io-error or path-outside-root for every `inputs`/`params` path resolving would refuse (SPEC.md
# section 5.2), as conditions; reads no file content.
manifest_path_problems <- function(doc, path) {
  base <- normalizePath(dirname(path), mustWork = TRUE)
  root <- project_root(base)
  allow <- isTRUE(doc$allow_external_paths)
  found <- list()
  for (key in c("inputs", "params")) {
    for (i in seq_along(doc[[key]])) {
      fault <- tryCatch(check_manifest_path(doc[[key]][[i]], pointer_join(paste0("/", key), i - 1L), base, root, allow),
                        seedlock_error = function(e) e)
      if (!is.null(fault)) found[[length(found) + 1L]] <- fault
    }
  }
  found
}

check_manifest_path <- function(raw, where, base, root, allow) {
  full <- if (grepl("^/", raw)) raw else file.path(base, raw)
  if (!file.exists(full)) seedlock_abort("io-error", sprintf("Cannot read %s: No such file or directory", raw), where)
  resolved <- normalizePath(full, mustWork = TRUE)
  if (!allow && resolved != root && !startsWith(resolved, paste0(root, "/"))) {
    seedlock_abort("path-outside-root", sprintf(
      "%s resolves to %s, outside the project root %s (set allow_external_paths to allow it)", raw, resolved, root), where)
  }
  special <- special_entry(resolved)
  if (!is.null(special)) seedlock_abort("io-error", sprintf("Cannot read %s: %s", raw, special), where)
  files <- if (dir.exists(resolved)) list.files(resolved, recursive = TRUE, all.files = TRUE, full.names = TRUE) else resolved
  closed <- files[file.access(files, 4L) != 0L]
  if (length(closed) > 0L) {
    entry <- if (identical(closed[[1]], resolved)) "" else sprintf(" (%s)", closed[[1]])
    seedlock_abort("io-error", sprintf("Cannot read %s: Permission denied%s", raw, entry), where)
  }
  NULL
}

# The first entry at or below `path` that is neither a regular file nor a directory once links are
# followed (a FIFO, device, socket, dangling link), or a directory that cannot be listed, as a
# message; NULL when there is none (SPEC.md section 5.2: refused before anything is opened). R's
# file.info cannot tell a FIFO from a file, so find(1) tells, from metadata only.
special_entry <- function(path) {
  if (.Platform$OS.type != "unix") return(NULL)
  out <- tryCatch(suppressWarnings(system2("find", c("-L", shQuote(path), "!", "-type", "f", "!", "-type", "d",
                                                     "-print", "-quit"), stdout = TRUE, stderr = FALSE)),
                  error = function(e) character(0))
  if (length(out) > 0L && nzchar(out[[1]])) return(sprintf("%s is not a regular file or directory", out[[1]]))
  if (!is.null(attr(out, "status"))) return(sprintf("%s has an entry that cannot be listed", path))
  NULL
}

project_root <- function(dir) {
  top <- tryCatch(suppressWarnings(system2("git", c("-C", shQuote(dir), "rev-parse", "--show-toplevel"),
                                           stdout = TRUE, stderr = FALSE)), error = function(e) character(0))
  if (length(top) == 1L && nzchar(top) && is.null(attr(top, "status"))) normalizePath(top) else dir
}
