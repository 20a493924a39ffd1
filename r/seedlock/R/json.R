# Strict JSON reading (SPEC.md section 1.1) on top of jsonlite, which alone would accept comments
# and keep duplicate member names.

max_document_bytes <- 16 * 1024 * 1024
max_depth <- 64

# Deepest nesting of arrays and objects in text whose strings were blanked (SPEC.md section 1.1).
json_depth <- function(bare) {
  codes <- utf8ToInt(gsub("[^][{}]", "", bare))
  if (length(codes) <= max_depth) return(0)
  max(cumsum(ifelse(codes == 91L | codes == 123L, 1L, -1L)))
}

read_document_bytes <- function(path) {
  if (!is.character(path) || length(path) != 1L || is.na(path)) {
    stop("`path` must be a single file path.", call. = FALSE)
  }
  size <- file.info(path)$size
  if (is.na(size) || dir.exists(path)) {
    seedlock_abort("io-error", sprintf("Cannot read %s: No such file or directory", path))
  }
  # Refuse huge files before reading them into memory.
  if (size > max_document_bytes) {
    seedlock_abort("invalid-json", sprintf("Document larger than %d bytes", max_document_bytes))
  }
  con <- tryCatch(file(path, "rb"), error = function(e) NULL, warning = function(w) NULL)
  if (is.null(con)) seedlock_abort("io-error", sprintf("Cannot read %s: Permission denied", path))
  on.exit(close(con))
  readBin(con, "raw", n = max(size, 1))
}

# Parse one document: raw bytes or a character string. Returns jsonlite's nested lists
# (objects are named lists, arrays unnamed lists).
parse_document <- function(data) {
  if (is.raw(data)) {
    if (length(data) > max_document_bytes) {
      seedlock_abort("invalid-json", sprintf("Document larger than %d bytes", max_document_bytes))
    }
    if (length(data) >= 3 && identical(data[1:3], as.raw(c(0xef, 0xbb, 0xbf)))) data <- data[-(1:3)]
    # R strings cannot hold NUL; another control character is just as invalid everywhere in JSON, so
    # the fault is found (and placed) where Python finds it.
    data[data == as.raw(0)] <- as.raw(1)
    text <- rawToChar(data)
    Encoding(text) <- "UTF-8"
  } else {
    text <- sub("^\ufeff", "", enc2utf8(data))
  }
  if (!validUTF8(text)) seedlock_abort("invalid-json", "Invalid UTF-8")
  if (!grepl("[^ \t\r\n]", text)) seedlock_abort("invalid-json", "Empty document")
  # Strings are found after masking escapes with filler of the same length: a pattern that steps
  # through escapes one by one exceeds PCRE's match limit on long strings full of them.
  bare <- gsub('"[^"\\\\]*+"', '""', mask_escapes(text, "(?s)\\\\."), perl = TRUE)
  if (json_depth(bare) > max_depth) {
    seedlock_abort("invalid-json", sprintf("Document nested more than %d levels deep", max_depth))
  }
  # jsonlite (yajl) is lenient: form feed and vertical tab as white space, a stray string after the
  # document, comments. Check the grammar of RFC 8259 first, so both bindings read the same documents.
  fault <- json_syntax_error(text)
  if (!is.null(fault)) {
    seedlock_abort("invalid-json", sprintf("Invalid JSON: %s (line %d, column %d)", fault$problem, fault$line, fault$column),
                   line = fault$line, column = fault$column)
  }
  if (has_unpaired_surrogate(text)) {
    seedlock_abort("invalid-json", "Invalid JSON: unpaired surrogate escape in a string")
  }
  text <- mark_inexact_numbers(text)
  doc <- tryCatch(
    jsonlite::parse_json(text, simplifyVector = FALSE),
    error = function(e) seedlock_abort("invalid-json", paste("Invalid JSON:", first_line(conditionMessage(e))))
  )
  # Deeply nested documents exhaust R's stack in the walk below; say so instead of crashing.
  dup <- tryCatch(find_duplicate(doc, ""), error = function(e) {
    if (inherits(e, "seedlock_error")) stop(e)
    seedlock_abort("invalid-json", "Document nested too deeply")
  })
  if (!is.null(dup)) seedlock_abort("duplicate-key", sprintf("Duplicate key '%s'", dup$key), dup$pointer)
  doc
}

# jsonlite turns an unpaired \\ud800 into "?"; Python refuses it. Escaped backslashes go first, so
# every remaining backslash starts an escape; then valid high+low pairs go; any surrogate left is bad.
has_unpaired_surrogate <- function(text) {
  if (!grepl("\\u", text, fixed = TRUE)) return(FALSE)
  t <- gsub("\\\\", "", text, fixed = TRUE)
  t <- gsub("\\\\u[dD][89abAB][0-9a-fA-F]{2}\\\\u[dD][c-fC-F][0-9a-fA-F]{2}", "", t, perl = TRUE)
  grepl("\\\\u[dD][89a-fA-F][0-9a-fA-F]{2}", t, perl = TRUE)
}

# One token of RFC 8259 JSON in text whose valid escapes are masked, or one character that cannot
# start one ("." catches it).
json_token_pattern <- paste0(
  '(?s)"[^"\\\\\\x00-\\x1f]*+"',
  '|-?(?:0|[1-9][0-9]*+)(?:\\.[0-9]++)?+(?:[eE][+-]?+[0-9]++)?+',
  '|true|false|null|[][{}:,]|[ \\t\\r\\n]++|.')
json_string_prefix <- '^"[^"\\\\\\x00-\\x1f]*+'
json_escape <- '\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4})'

# `text` with every match of `pattern` replaced by as many "_" (positions stay where they were).
# A number whose exact decimal value is not an integer but whose nearest double is (1e-400 is 0,
# 1.0000000000000000001 is 1) is not an integer (SPEC.md section 1.2 judges the number as written);
# jsonlite only gives the double. Such a token is replaced by `inexact_number`, a non-integral double
# check_integer() names as what it is. Every number in a seedlock document is an integer, so no value
# that could be legitimate is changed. Strings are masked first (positions kept) so digits in them
# are left alone.
inexact_number <- 0.4999999999999999
mark_inexact_numbers <- function(text) {
  if (!grepl("[0-9][.eE]", text)) return(text)
  masked <- mask_escapes(text, "(?s)\\\\.")
  m <- gregexpr('"[^"]*"|-?[0-9][0-9]*(?:[.][0-9]+)?(?:[eE][-+]?[0-9]+)?', masked, perl = TRUE)[[1]]
  if (m[[1]] == -1L) return(text)
  tokens <- substring(masked, m, m + attr(m, "match.length") - 1L)
  for (i in rev(which(grepl("^-?[0-9]", tokens) & grepl("[.eE]", tokens)))) {
    if (!written_integer(tokens[[i]]) && is.finite(as.numeric(tokens[[i]])) &&
        as.numeric(tokens[[i]]) == floor(as.numeric(tokens[[i]]))) {
      text <- paste0(substr(text, 1L, m[[i]] - 1L), format(inexact_number, digits = 17),
                     substr(text, m[[i]] + attr(m, "match.length")[[i]], nchar(text)))
    }
  }
  text
}

# Whether the decimal number `token` (JSON grammar) denotes an integer, from its digits alone.
written_integer <- function(token) {
  parts <- regmatches(token, regexec("^-?([0-9]+)(?:[.]([0-9]+))?(?:[eE]([-+]?[0-9]+))?$", token))[[1]]
  digits <- paste0(parts[[2]], parts[[3]])
  exponent <- (if (nzchar(parts[[4]])) as.numeric(parts[[4]]) else 0) - nchar(parts[[3]])
  digits <- sub("^0+", "", digits)
  if (!nzchar(digits)) return(TRUE)  # zero, however written
  trailing <- nchar(digits) - nchar(sub("0+$", "", digits))
  exponent + trailing >= 0
}

mask_escapes <- function(text, pattern) {
  if (!grepl("\\", text, fixed = TRUE)) return(text)
  m <- gregexpr(pattern, text, perl = TRUE)
  if (m[[1]][[1]] == -1L) return(text)
  regmatches(text, m) <- list(strrep("_", attr(m[[1]], "match.length")))
  text
}
value_start <- c("{", "[", "s", "v")

# The first place where `text` stops being RFC 8259 JSON, as list(problem, line, column), or NULL.
# Vectorised over tokens (a loop in R would take seconds on large documents): every token is checked
# against the one before it and the innermost container it sits in. Positions are the ones Python's
# json module reports: the first token that cannot follow, columns counted in characters.
json_syntax_error <- function(text) {
  masked <- mask_escapes(text, json_escape)
  m <- gregexpr(json_token_pattern, masked, perl = TRUE)[[1]]
  tok <- regmatches(masked, list(m))[[1]]
  starts <- as.integer(m)
  first <- substr(tok, 1L, 1L)
  ty <- rep("X", length(tok))
  ty[first %in% c(" ", "\t", "\r", "\n")] <- "w"
  ty[first %in% c("{", "}", "[", "]", ":", ",")] <- first[first %in% c("{", "}", "[", "]", ":", ",")]
  # A quote that starts no valid string is still a string to the grammar: Python's reader reports a
  # string where none may stand (a stray quote after a value) before it looks inside the string.
  broken <- first == '"' & nchar(tok) == 1L
  ty[first == '"'] <- "s"
  ty[grepl("^-?[0-9]", tok, perl = TRUE) | tok %in% c("true", "false", "null")] <- "v"
  keep <- ty != "w"
  ty <- ty[keep]
  starts <- starts[keep]
  tok <- tok[keep]
  broken <- broken[keep]
  n <- length(ty)
  opener <- ty == "{" | ty == "["
  closer <- ty == "}" | ty == "]"
  after <- cumsum(opener) - cumsum(closer)
  before <- after + closer - opener
  # The container of a token at depth d is the latest opener that opened depth d before it.
  ctx <- character(n)
  for (level in unique(before[before > 0L])) {
    at <- which(opener & after == level)
    who <- which(before == level)
    idx <- findInterval(who, at)
    ctx[who[idx > 0L]] <- ty[at[idx[idx > 0L]]]
  }
  prev <- c("^", ty[-n])
  ty[ty == "s" & ctx == "{" & (prev == "{" | prev == ",")] <- "k"  # a member name
  prev <- c("^", ty[-n])
  ends <- prev %in% c("s", "v", "}", "]")
  good <- logical(n)
  for (p in c("^", ":")) good[prev == p] <- ty[prev == p] %in% value_start
  good[prev == "{"] <- ty[prev == "{"] %in% c("k", "}")
  good[prev == "["] <- ty[prev == "["] %in% c(value_start, "]")
  good[prev == "k"] <- ty[prev == "k"] == ":"
  comma <- prev == ","
  good[comma] <- (ctx[comma] == "{" & ty[comma] == "k") | (ctx[comma] == "[" & ty[comma] %in% value_start)
  good[ends] <- (ty[ends] == "," & ctx[ends] != "") | (ty[ends] == "}" & ctx[ends] == "{") |
    (ty[ends] == "]" & ctx[ends] == "[")
  good <- good & before >= 0L
  bad <- which(!good | broken)
  if (length(bad) == 0L) {
    if (after[[n]] == 0L && ty[[n]] %in% c("s", "v", "}", "]")) return(NULL)
    return(json_fault(text, nchar(text) + 1L, "unexpected end of document"))
  }
  i <- bad[[1]]
  at <- starts[[i]]
  if (good[[i]] && broken[[i]]) {
    rest <- substring(masked, at)
    stop_at <- at + attr(regexpr(json_string_prefix, rest, perl = TRUE), "match.length")
    after <- substr(text, stop_at + 1L, stop_at + 1L)
    if (stop_at > nchar(text) || (substr(text, stop_at, stop_at) == "\\" && after == "")) {
      return(json_fault(text, at, "unterminated string"))
    }
    if (substr(text, stop_at, stop_at) != "\\") return(json_fault(text, stop_at, "invalid control character in a string"))
    if (after == "u") return(json_fault(text, stop_at + 1L, "invalid \\uXXXX escape in a string"))
    return(json_fault(text, stop_at, "invalid escape in a string"))
  }
  # A trailing comma is the fault, not the bracket after it: point at the comma (spec section 1.1).
  if (ty[[i]] != "X" && prev[[i]] == "," && ty[[i]] %in% c("}", "]")) at <- starts[[i - 1L]]
  problem <- if (ty[[i]] == "X") {
    sprintf("unexpected character %s", json_string(tok[[i]]))
  } else if (prev[[i]] == "," && ty[[i]] %in% c("}", "]")) {
    sprintf("trailing comma before '%s'", ty[[i]])
  } else if (ctx[[i]] == "" && prev[[i]] != "^") {
    "extra data after the document"
  } else if (prev[[i]] %in% c("{", ",") && ctx[[i]] == "{") {
    "expecting a member name in double quotes"
  } else if (prev[[i]] == "k") {
    "expecting ':' after a member name"
  } else if (ends[[i]]) {
    sprintf("expecting ',' or '%s'", if (ctx[[i]] == "{") "}" else "]")
  } else {
    "expecting a value"
  }
  json_fault(text, at, problem)
}

json_fault <- function(text, at, problem) {
  head <- substr(text, 1L, at - 1L)
  breaks <- gregexpr("\n", head, fixed = TRUE)[[1]]
  breaks <- breaks[breaks > 0L]
  line <- length(breaks) + 1L
  column <- if (length(breaks)) at - breaks[[length(breaks)]] else at
  list(problem = problem, line = line, column = as.integer(column))
}

first_line <- function(x) trimws(strsplit(x, "\n", fixed = TRUE)[[1]][1])

# The first member name repeated in an object, depth first in document order (as the Python binding).
find_duplicate <- function(x, pointer) {
  if (!is.list(x)) return(NULL)
  keys <- names(x)
  for (i in seq_along(x)) {
    child <- if (is.null(keys)) pointer_join(pointer, i - 1L) else pointer_join(pointer, keys[[i]])
    if (!is.null(keys) && i > 1L && keys[[i]] %in% keys[seq_len(i - 1L)]) {
      return(list(key = keys[[i]], pointer = child))
    }
    found <- find_duplicate(x[[i]], child)
    if (!is.null(found)) return(found)
  }
  NULL
}

is_object <- function(x) is.list(x) && !is.null(names(x))
is_array <- function(x) is.list(x) && is.null(names(x))

json_type <- function(x) {
  if (is.null(x)) return("null")
  if (is_object(x)) return("object")
  if (is.list(x)) return("array")
  if (is.logical(x)) return("boolean")
  if (is.character(x)) return("string")
  if (is.integer(x)) return("integer")
  if (is.numeric(x)) return(if (is.finite(x) && x == floor(x)) "integer" else "number")
  class(x)[[1]]
}

#' Canonical JSON of a parsed document
#'
#' The canonical form of SPEC.md section 5: members sorted by name in code-point order, no white
#' space, minimal string escaping, integers written plainly. Its SHA-256 is a lock's
#' `manifest.sha256`.
#'
#' @param x A parsed JSON value (nested lists as returned by [parse_seedlock()]'s reader).
#' @return A single UTF-8 string.
#' @examples
#' canonical_json(list(b = 1L, a = list("x", TRUE)))
#' @export
canonical_json <- function(x) {
  if (is.null(x)) return("null")
  if (is_object(x)) {
    keys <- sorted_names(x)
    members <- vapply(keys, function(k) paste0(json_string(k), ":", canonical_json(x[[k]])), character(1))
    return(paste0("{", paste(members, collapse = ","), "}"))
  }
  if (is.list(x)) {
    return(paste0("[", paste(vapply(x, canonical_json, character(1)), collapse = ","), "]"))
  }
  if (is.logical(x)) return(if (isTRUE(x)) "true" else "false")
  if (is.character(x)) return(json_string(x))
  if (is.numeric(x)) {
    if (is.finite(x) && x == floor(x) && abs(x) < 2^53) return(sprintf("%.0f", x))
    return(sprintf("%.17g", x))
  }
  stop("`x` must be parsed JSON.", call. = FALSE)
}

json_string <- function(s) {
  codes <- utf8ToInt(enc2utf8(s))
  short <- c(`8` = "\\b", `9` = "\\t", `10` = "\\n", `12` = "\\f", `13` = "\\r", `34` = "\\\"", `92` = "\\\\")
  out <- vapply(codes, function(cp) {
    key <- as.character(cp)
    if (!is.na(short[key])) return(short[[key]])
    if (cp < 32L) return(sprintf("\\u%04x", cp))
    intToUtf8(cp)
  }, character(1))
  paste0("\"", paste(out, collapse = ""), "\"")
}

# Member names in code-point order (C-locale radix sort), empty for lists without names.
sorted_names <- function(x) {
  keys <- names(x)
  if (is.null(keys)) character(0) else sort(keys, method = "radix")
}
