# "Did you mean": the rule of SPEC.md section 7.1, with the same table as python/tests/test_suggest.py.
frameworks <- c("python", "numpy", "torch", "tensorflow", "r", "caffe")

test_that("distance counts a transposition as one edit", {
  cases <- list(c("trian", "train", 1), c("train", "train", 0), c("", "abc", 3), c("ca", "abc", 3),
                c("sed", "seed", 1), c("tensroflow", "tensorflow", 1), c("abcd", "badc", 2))
  for (x in cases) {
    expect_identical(seedlock:::osa_distance(x[[1]], x[[2]]), as.integer(x[[3]]), label = paste(x[[1]], x[[2]]))
    expect_identical(seedlock:::osa_distance(x[[2]], x[[1]]), as.integer(x[[3]]))
  }
})

test_that("a name within a third of its length is suggested", {
  cases <- list(nunpy = "numpy", NumPy = "numpy", torc = "torch", pyhton = "python", tensorflwo = "tensorflow",
                R = "r", jax = NULL, tf = NULL, numpyyy = NULL, caffe2 = "caffe")
  for (name in names(cases)) {
    expect_identical(seedlock:::closest_name(name, frameworks), cases[[name]], label = name)
  }
})

test_that("ties go to the first candidate in code-point order", {
  expect_identical(seedlock:::closest_name("cat", c("cut", "bat", "cot")), "bat")
})

test_that("a framework a stage does not list is answered with the one meant", {
  err <- seedlock_condition(stage_seed(simple_lock(frameworks = list("numpy", "r")), "train", "nunpy"))
  expect_identical(conditionMessage(err),
                   "Stage 'train' does not list framework 'nunpy' (did you mean 'numpy'?) (it lists numpy, r) at '/stages/train/frameworks'")
})
