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
    }
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
