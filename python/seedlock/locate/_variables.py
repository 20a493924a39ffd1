"""The environment variables the locator's launcher sets for the program (one module below every other
of the locator, so that the record writer and the hooks need not import the package that re-exports them)."""

#: The directory this run's records go to; unset, probes and hooks do nothing.
LOCATE_VARIABLE = "SEEDLOCK_LOCATE"
#: The step the fine pass records in full (every tensor, with values); unset: the coarse pass.
STEP_VARIABLE = "SEEDLOCK_LOCATE_STEP"
#: Which of the locator's runs this is (1, 2): for programs that want to know, and for tests.
RUN_VARIABLE = "SEEDLOCK_LOCATE_RUN"
