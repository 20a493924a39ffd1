#' Seed an epoch
#'
#' Training code that wants different random numbers in every epoch, yet the same numbers for epoch
#' `e` whether training ran from the start or resumed at `e` in a new process, reseeds R at the start
#' of each epoch. The epoch seed of framework seed `F` is `derive_seed(F, c("epoch", e))`, with `F`
#' first replaced by its rank seed for distributed runs (rank first, then epoch): the same rule as the
#' Python binding's `stage.seed_epoch(e)`.
#'
#' `epoch_seed()` computes the seed. `seed_epoch()` calls `set.seed()` with it and the kind triple
#' pinned in the lock, like [set_seedlock()] (which takes the same `epoch` argument, as do
#' [with_seedlock()] and [local_seedlock()]).
#'
#' @param seed A framework seed.
#' @param epoch A non-negative whole number.
#' @param lock A lock from [load_seedlock()], or the path of a lock or manifest.
#' @param stage The stage name; the stage must list the `r` framework.
#' @param rank For distributed runs: the rank whose seed the epoch seed derives from.
#' @return `epoch_seed()`: an integer seed. `seed_epoch()`: the seed used, invisibly.
#' @examples
#' epoch_seed(1677747947, 3)
#' lock <- resolve_seedlock(parse_seedlock(
#'   '{"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["r"]}}}'), env = character(0))
#' for (epoch in 0:2) {
#'   seed_epoch(lock, "train", epoch)
#'   print(sample(5))
#' }
#' @export
epoch_seed <- function(seed, epoch) {
  derive_seed(seed, c("epoch", index_label(epoch, "epoch")))
}

#' @rdname epoch_seed
#' @export
seed_epoch <- function(lock, stage, epoch, rank = NULL) {
  seed_r(lock, stage, rank, via = "seed_epoch", epoch = epoch)
}

# The r framework seed after the rank and epoch rules (rank first, then epoch).
r_seed <- function(lock, stage, rank = NULL, epoch = NULL) {
  seed <- stage_seed(lock, stage, "r")
  if (!is.null(rank)) seed <- rank_seed(seed, rank)
  if (!is.null(epoch)) seed <- epoch_seed(seed, epoch)
  seed
}
