# Runs the package's testthat suite against the installed package and ends with a plain
# "N passed, N failed" line (counts of expectations; an error inside a test counts as a failure).
#
#   R_LIBS=build/r-lib Rscript bindings/r/tools/run_tests.R [bindings/r/tests/testthat]
# Exit status 1 when anything failed.

args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[[1L]] else file.path("bindings", "r", "tests", "testthat")
results <- testthat::test_dir(dir, package = "braid", load_package = "installed", reporter = "summary",
                              stop_on_failure = FALSE, stop_on_warning = FALSE)
kinds <- unlist(lapply(results, function(test) vapply(test$results, function(e) class(e)[[1L]], "")))
count <- function(kind) sum(kinds == kind)
passed <- count("expectation_success")
failed <- count("expectation_failure") + count("expectation_error")
skipped <- count("expectation_skip")
warned <- count("expectation_warning")
cat(sprintf("R tests: %d skipped, %d warnings\n", skipped, warned))
cat(sprintf("%d passed, %d failed\n", passed, failed + warned))
quit(status = if (failed + warned > 0L) 1L else 0L)
