# Write spec/vectors/stream/, spec/vectors/split/ and spec/vectors/parallel/ from real R, with base R
# only (no seedlock code; SHA-256 from the digest package for the formula of SPEC.md section 3), so that
# every binding is checked against what R itself returns. Run from the repository root:
#
#     Rscript spec/tools/generate_r_vectors.R
#
# Numbers are written as 17-significant-digit strings, which read back as the exact same doubles.

out_dir <- Sys.getenv("SEEDLOCK_VECTORS_OUT", file.path("spec", "vectors"))

r_stream <- function(seed, n) {
  set.seed(seed, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  runif(n)
}

num17 <- function(x) sprintf("%.17g", x)

write_cases <- function(area, concept, description, cases) {
  dir.create(file.path(out_dir, area), showWarnings = FALSE, recursive = TRUE)
  doc <- list(`$schema` = "../vectors.schema.json", area = area, concept = concept,
              description = description, cases = cases)
  json <- jsonlite::toJSON(doc, auto_unbox = TRUE, pretty = 2, digits = NA, null = "null")
  writeLines(json, file.path(out_dir, area, paste0(concept, ".json")), useBytes = TRUE)
}

stream_case <- function(description, seed, n) {
  uniform <- r_stream(seed, n)
  list(description = description, input = list(seed = seed, n = n),
       expected = list(uniform = I(num17(uniform)), words = I(round(uniform * 2^32))))
}

stream <- list(
  stream_case("seed 42 matches R's runif", 42, 10),
  stream_case("seed 0 matches R's runif", 0, 10),
  stream_case("seed 1 matches R's runif", 1, 10),
  stream_case("the largest seed matches R's runif", 2147483647, 10),
  stream_case("a derived stage seed matches R's runif", 1677747947, 10),
  stream_case("draws past the first state refill match", 1234, 1300),
  stream_case("a single draw matches", 7, 1),
  stream_case("zero draws are empty", 7, 0)
)
write_cases("stream", "r-uniform", sprintf("R-compatible uniform stream, values from R %s runif", getRversion()), stream)

split_reference <- function(n, parts, seed) {
  perm <- order(r_stream(seed, n), method = "radix") - 1L  # stable; 0-based for the vectors
  fractions <- vapply(parts, function(part) part[[2]], numeric(1))
  bounds <- c(0, pmin(n, floor(n * cumsum(fractions) + 0.5)))
  bounds[length(bounds)] <- n
  out <- list()
  for (k in seq_along(parts)) {
    rows <- if (bounds[k + 1] > bounds[k]) perm[(bounds[k] + 1):bounds[k + 1]] else integer(0)
    out[[parts[[k]][[1]]]] <- I(rows)
  }
  out
}

split_case <- function(description, n, parts, seed) {
  list(description = description, input = list(n = n, parts = parts, seed = seed),
       expected = list(parts = split_reference(n, parts, seed)))
}

split_error <- function(description, n, parts, seed, code, pointer) {
  list(description = description, input = list(n = n, parts = parts, seed = seed),
       error = list(code = code, pointer = pointer))
}

# part_list("train", 0.8, "test", 0.2) is list(list("train", 0.8), list("test", 0.2)): name, fraction pairs.
part_list <- function(...) {
  args <- list(...)
  lapply(seq(1, length(args), by = 2), function(i) list(args[[i]], args[[i + 1]]))
}

splits <- list(
  split_case("ten rows split 80/10/10", 10, part_list("train", 0.8, "val", 0.1, "test", 0.1), 42),
  split_case("a hundred rows split 70/15/15", 100, part_list("train", 0.7, "val", 0.15, "test", 0.15), 1677747947),
  split_case("seven rows split in halves round half up", 7, part_list("a", 0.5, "b", 0.5), 3),
  split_case("three rows in thirds", 3, part_list("x", 1/3, "y", 1/3, "z", 1/3), 0),
  split_case("one row goes to the part its boundary reaches", 1, part_list("train", 0.6, "test", 0.4), 9),
  split_case("zero rows give empty parts", 0, part_list("train", 0.8, "test", 0.2), 9),
  split_case("a single part takes every row", 12, part_list("all", 1), 2147483647),
  split_case("a small part can be empty", 5, part_list("big", 0.95, "tiny", 0.05), 11),
  split_case("two thousand rows split 60/20/20", 2000, part_list("train", 0.6, "val", 0.2, "test", 0.2), 2024),
  split_error("fractions summing to 0.9 are rejected", 10, part_list("a", 0.5, "b", 0.4), 1, "invalid-value", "/parts"),
  split_error("a zero fraction is rejected", 10, part_list("a", 1, "b", 0), 1, "invalid-value", "/parts/1/1"),
  split_error("a negative fraction is rejected", 10, part_list("a", 1.5, "b", -0.5), 1, "invalid-value", "/parts/1/1"),
  split_error("a repeated part name is rejected", 10, part_list("a", 0.5, "a", 0.5), 1, "invalid-value", "/parts/1/0"),
  split_error("a part name that is not a label is rejected", 10, part_list("Train", 1), 1, "invalid-label", "/parts/0/0"),
  split_error("a negative row count is rejected", -1, part_list("a", 1), 1, "invalid-value", "/n"),
  split_error("a seed out of range is rejected", 10, part_list("a", 1), -1, "seed-out-of-range", "/seed"),
  split_error("no parts are rejected", 10, list(), 1, "invalid-value", "/parts")
)
write_cases("split", "portable-split", "portable split of n rows by fractions, from R's runif and a stable order", splits)

# SPEC.md section 3, written out here so the vectors do not depend on the package under test.
derive <- function(seed, labels) {
  hex <- digest::digest(paste0("seedlock/v1:", sprintf("%.0f", seed), ":", paste(labels, collapse = "/")),
                        algo = "sha256", serialize = FALSE)
  strtoi(substr(hex, 1L, 1L), 16L) %% 8L * 268435456 + strtoi(substr(hex, 2L, 8L), 16L)
}

parallel_case <- function(description, seed, workers, rank = NULL, epoch = NULL,
                          normal_kind = "Inversion", sample_kind = "Rejection") {
  base <- seed
  if (!is.null(rank)) base <- derive(base, c("rank", rank))
  if (!is.null(epoch)) base <- derive(base, c("epoch", epoch))
  parallel_seed <- derive(base, "parallel")
  # "Rounding" warns that it is non-uniform; the case asks for it.
  suppressWarnings(set.seed(parallel_seed, kind = "L'Ecuyer-CMRG", normal.kind = normal_kind, sample.kind = sample_kind))
  streams <- list(.Random.seed)
  for (w in seq_len(workers - 1L)) streams[[w + 1L]] <- parallel::nextRNGStream(streams[[w]])
  uniform <- lapply(streams, function(s) {
    assign(".Random.seed", s, envir = globalenv())
    I(num17(runif(3)))
  })
  input <- list(seed = seed)
  if (!is.null(rank)) input$rank <- rank
  if (!is.null(epoch)) input$epoch <- epoch
  input$workers <- workers
  if (normal_kind != "Inversion" || sample_kind != "Rejection") {
    input$settings <- list(normal_kind = normal_kind, sample_kind = sample_kind)
  }
  list(description = description, input = input,
       expected = list(seed = parallel_seed, streams = lapply(streams, I), uniform = uniform))
}

parallel_cases <- list(
  parallel_case("two workers of r seed 42", 42, 2),
  parallel_case("three workers of a derived r seed", 1677747947, 3),
  parallel_case("seed 0 gives valid streams", 0, 2),
  parallel_case("the largest seed gives valid streams", 2147483647, 2),
  parallel_case("rank 1 derives from the rank seed", 42, 2, rank = 1),
  parallel_case("epoch 3 derives from the epoch seed", 42, 2, epoch = 3),
  parallel_case("rank 2 epoch 0 applies the rank first", 42, 2, rank = 2, epoch = 0),
  parallel_case("the stage's normal and sample kinds are kept", 42, 2,
                normal_kind = "Box-Muller", sample_kind = "Rounding")
)
write_cases("parallel", "lecuyer-streams",
            sprintf("parallel seed and L'Ecuyer-CMRG worker streams, from R %s set.seed and nextRNGStream",
                    getRversion()), parallel_cases)
