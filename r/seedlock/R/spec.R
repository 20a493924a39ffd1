#' Where the specification copy is
#'
#' The directory holding the specification's `schema/`, `vectors/` and `examples/`: the environment
#' variable `SEEDLOCK_SPEC_DIR` when set, else the copy installed with the package.
#'
#' @return A directory path.
#' @examples
#' list.files(seedlock_spec_dir())
#' @export
seedlock_spec_dir <- function() {
  override <- Sys.getenv("SEEDLOCK_SPEC_DIR")
  if (nzchar(override)) return(override)
  system.file("extdata", "spec", package = "seedlock", mustWork = TRUE)
}
