# seedlock auto-seeding for R: `seedlock run` points R_PROFILE_USER here.
#
# R reads one user profile at start-up: $R_PROFILE_USER, else ./.Rprofile, else ~/.Rprofile. This
# one first sources the profile R would have read without seedlock (the launcher keeps the user's
# own R_PROFILE_USER in SEEDLOCK_R_PROFILE_USER), then seeds R with the stage's r seed and kinds
# (SEEDLOCK_AUTOSEED_R: "seed,kind,normal.kind,sample.kind") and reports to the launcher, in base R
# only, so it works whether or not the seedlock package is installed where the script runs.
local({
  json <- function(x) paste0('"', gsub('(["\\\\])', "\\\\\\1", gsub("[[:cntrl:]]", " ", x)), '"')
  report <- function(lines) {
    dir <- Sys.getenv("SEEDLOCK_STATUS")
    if (nzchar(dir)) {
      try(cat(paste0(lines, "\n"), file = file.path(dir, sprintf("r-%d.jsonl", Sys.getpid())), append = TRUE,
              sep = ""), silent = TRUE)
    }
  }
  seed_r <- function() {
    if (!nzchar(Sys.getenv("SEEDLOCK_AUTOSEED"))) return(invisible())
    # parallel/future PSOCK workers are not the program: they keep their own streams (as Python's
    # multiprocessing workers do); seeding each with the stage seed would make them draw alike.
    if (any(grepl("(work|slave)RSOCK|workMPI", commandArgs()))) return(invisible())
    stage <- Sys.getenv("SEEDLOCK_STAGE")
    report(sprintf('{"event":"start","via":"auto","stage":%s,"argv":[%s]}', json(stage),
                   paste(vapply(commandArgs(), json, ""), collapse = ",")))
    spec <- Sys.getenv("SEEDLOCK_AUTOSEED_R")
    if (!nzchar(spec)) {
      # The stage lists no r: R's generator runs unseeded. Whether the program draws from it shows at
      # exit (R creates .Random.seed on the first draw or set.seed): then it is reported, naming the fix.
      guard <- new.env()
      reg.finalizer(guard, function(e) {
        if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
          file <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)[1])
          detail <- sprintf(paste0("R's generator was used but stage '%s' does not list r: it ran unseeded; ",
                                   "add \"r\" to stage '%s' frameworks"), stage, stage)
          report(sprintf('{"event":"finding","via":"auto","stage":%s,"kind":"unlisted-framework","framework":"r","where":%s,"detail":%s}',
                         json(stage), json(if (is.na(file)) "" else file), json(detail)))
        }
      }, onexit = TRUE)
      options(seedlock.unlisted_r_guard = guard)  # kept alive until exit, when the finalizer runs
      return(invisible())
    }
    p <- strsplit(spec, ",", fixed = TRUE)[[1]]
    what <- sprintf("set.seed(%s, kind='%s', normal.kind='%s', sample.kind='%s')", p[1], p[2], p[3], p[4])
    # sample.kind = "Rounding" warns that it is non-uniform; the lock asked for it explicitly.
    err <- tryCatch({
      suppressWarnings(set.seed(as.integer(p[1]), kind = p[2], normal.kind = p[3], sample.kind = p[4]))
      ""
    }, error = function(e) conditionMessage(e))
    report(sprintf('{"event":"action","via":"auto","stage":%s,"framework":"r","status":"%s","what":%s,"detail":%s}',
                   json(stage), if (nzchar(err)) "failed" else "applied", json(what),
                   json(if (nzchar(err)) err else "at R start-up")))
    if (nzchar(err)) {
      message(sprintf("seedlock: warning: R was not seeded: %s: %s", what, err))
      if (identical(Sys.getenv("SEEDLOCK_STRICT"), "1")) quit(save = "no", status = 2)
    } else {
      watch_set_seed(stage, as.numeric(p[1]))
    }
  }
  # The program's own set.seed() after this (SPEC 6.3): reported as a finding (strict: an error), and
  # under take-over (SEEDLOCK_TAKEOVER=1) replaced by takeover_seed(r seed, value). The wrapper sits in
  # an environment attached to the search path, so the script's set.seed(...) finds it and
  # rm(list = ls()) does not remove it, while packages, which call base::set.seed through their
  # namespaces, are left alone. Rscript keeps no source references, so `where` is the script's file.
  watch_set_seed <- function(stage, lock_seed) {
    takeover <- identical(Sys.getenv("SEEDLOCK_TAKEOVER"), "1")
    strict <- identical(Sys.getenv("SEEDLOCK_STRICT"), "1")
    file <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))
    file <- if (length(file)) basename(file[[1L]]) else "R"
    label_of <- function(v) {  # seedlock:::takeover_label (r/seedlock/R/takeover.R), in base R
      if (is.null(v)) return("none")
      if (!is.numeric(v) || length(v) != 1L || is.na(v) || !is.finite(v) || v != floor(v) || abs(v) > 2^53) {
        return(NA_character_)
      }
      if (v >= 0) sprintf("%.0f", v) else paste0("n", sprintf("%.0f", -v))
    }
    seen <- new.env()
    watch <- new.env()
    watch$set.seed <- function(seed, kind = NULL, normal.kind = NULL, sample.kind = NULL) {
      shown <- paste(deparse(sys.call()), collapse = " ")
      ref <- attr(sys.call(), "srcref")
      where <- if (is.null(ref)) file else paste0(basename(utils::getSrcFilename(ref)), ":", ref[[1L]])
      new <- NA_integer_
      label <- label_of(seed)
      if (takeover && !is.na(label) && requireNamespace("seedlock", quietly = TRUE)) {
        new <- seedlock::derive_seed(lock_seed, c("takeover", label))  # seedlock::takeover_seed(), SPEC 6.3
      }
      kind_of <- if (is.na(new)) "reseeded" else "taken-over"
      detail <- if (!is.na(new)) {
        sprintf("%s seeded r: taken over, seeded %d instead (derived from the lock's r seed and the value)", shown, new)
      } else if (takeover) {
        sprintf("%s seeded r: not taken over (%s): the lock's r seed has no effect", shown,
                if (requireNamespace("seedlock", quietly = TRUE)) "the value is not a whole number" else
                  "the seedlock R package is not installed")
      } else {
        sprintf("%s seeded r after seedlock: the lock's r seed has no effect", shown)
      }
      key <- paste(kind_of, where, shown)
      if (is.null(seen[[key]])) {
        assign(key, TRUE, envir = seen)
        report(sprintf('{"event":"finding","via":"auto","stage":%s,"kind":"%s","framework":"r","where":%s,"detail":%s}',
                       json(stage), kind_of, json(where), json(detail)))
      }
      if (strict && is.na(new)) {
        stop(sprintf("seedlock: error[not-applied] %s %s (run with --take-over to seed such calls from the lock) at '/stages/%s/frameworks/r'",
                     where, detail, stage), call. = FALSE)
      }
      base::set.seed(if (is.na(new)) seed else new, kind = kind, normal.kind = normal.kind, sample.kind = sample.kind)
    }
    attach(watch, name = "seedlock:set.seed", warn.conflicts = FALSE)
  }
  user <- Sys.getenv("SEEDLOCK_R_PROFILE_USER", unset = NA)
  if (is.na(user)) user <- if (file.exists(".Rprofile")) ".Rprofile" else "~/.Rprofile"
  user <- path.expand(user)
  if (nzchar(user) && file.exists(user)) {
    tryCatch(sys.source(user, envir = globalenv(), toplevel.env = globalenv()), finally = seed_r())
  } else {
    seed_r()
  }
})
