# The model `make demo` trains and exports in Python (demo_out/ at the repository root), predicted from R.
# The test runs when BRAID_DEMO_OUT names that folder (make r-test sets it when demo_out/ exists).

test_that("the demo model predicts the saved images as Python did, within 1e-5", {
  dir <- Sys.getenv("BRAID_DEMO_OUT")
  skip_if(!nzchar(dir), "BRAID_DEMO_OUT is not set")
  skip_if(!file.exists(file.path(dir, "samples.json")), paste("no demo output in", dir))
  skip_if_not_installed("jsonlite")
  meta <- jsonlite::fromJSON(file.path(dir, "samples.json"), simplifyVector = TRUE)
  shape <- as.numeric(meta$shape)
  x <- read_f32(file.path(dir, "samples.f32"), shape)
  model <- braid_load(file.path(dir, "fashion_mnist"))
  expect_identical(model$inputs, "data")
  probs <- predict(model, x)
  expect_identical(dim(probs), c(as.integer(shape[[1L]]), 10L))
  expect_close(probs, meta$python_probs)
  expect_identical(max.col(probs, ties.method = "first") - 1L, as.integer(meta$python_predictions))
  # One image at a time gives the same classes.
  first <- predict(model, take_rows(x, 1))
  expect_close(first, meta$python_probs[1, , drop = FALSE])
})
