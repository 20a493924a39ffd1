library(testthat)
library(seedlock)

test_check("seedlock")
