# Models exported by MXNet 1.9.1 (tests/fixtures/mxnet_models), with MXNet's own outputs.

for (name in c("mlp", "cnn", "resblock", "embedding")) {
  test_that(sprintf("%s: predictions match MXNet 1.9.1 within 1e-5", name), {
    x <- fixture_array(paste0(name, "-x"))
    y <- fixture_array(paste0(name, "-y"))
    model <- braid_load(fixture(name))
    expect_identical(model$inputs, "data")
    expect_length(model$outputs, 1L)
    expect_close(predict(model, x), y)
    # Batch sizes that change between calls: one row, all rows, one row again (a cached plan).
    expect_close(predict(model, take_rows(x, 1)), take_rows(y, 1))
    expect_close(predict(model, x), y)
    expect_close(predict(model, take_rows(x, 1)), take_rows(y, 1))
    # The same model from explicit paths, with its shapes planned at load time.
    again <- braid_load(
      symbol_file = fixture(paste0(name, "-symbol.json")), params_file = fixture(paste0(name, "-0000.params")),
      input_shapes = list(data = dim(x))
    )
    out <- predict(again, list(data = x), simplify = FALSE)
    expect_named(out, again$outputs)
    expect_close(out[[1L]], y)
  })
}

test_that("integer input is converted (the embedding model takes token ids)", {
  x <- fixture_array("embedding-x")
  y <- fixture_array("embedding-y")
  ids <- array(as.integer(x), dim = dim(x))
  expect_close(predict(braid_load(fixture("embedding")), ids), y)
})

test_that("a matrix is a batch of rows: dim(x) reads like the Python shape", {
  x <- fixture_array("mlp-x") # 3 x 10, Python's shape (3, 10)
  y <- fixture_array("mlp-y")
  model <- braid_load(fixture("mlp"))
  # Row i of the result belongs to row i of the input, whichever rows are sent.
  expect_close(predict(model, x[c(3, 1), , drop = FALSE]), y[c(3, 1), , drop = FALSE])
  # The transposed matrix is another shape, which the core rejects by name.
  expect_error(predict(model, t(x)), class = "braid_value_error", regexp = "dense0")
})

test_that("print lists inputs, outputs and shapes", {
  model <- braid_load(fixture("cnn"))
  expect_output(print(model), "inputs:\\s+data\\s+\\(shape set by predict\\(\\)\\)")
  invisible(predict(model, fixture_array("cnn-x")))
  out <- capture.output(print(model))
  expect_match(out, "braid model on cpu\\(0\\)", all = FALSE)
  expect_match(out, "data\\s+\\(2, 3, 8, 8\\)", all = FALSE)
  expect_match(out, paste0(model$outputs, "\\s+\\(2, 5\\)"), all = FALSE)
  expect_match(out, "params: .*cnn-0000.params \\([0-9]+ arrays, [0-9,]+ values\\)", all = FALSE)
  returned <- NULL
  expect_output(returned <- print(model), "braid model")
  expect_identical(returned, model)
})

test_that("a model survives saveRDS/readRDS (the predictor is planned again)", {
  model <- braid_load(fixture("mlp"))
  x <- fixture_array("mlp-x")
  first <- predict(model, x)
  path <- tempfile(fileext = ".rds")
  on.exit(unlink(path))
  saveRDS(model, path)
  back <- readRDS(path)
  expect_identical(predict(back, x), first)
  expect_close(predict(back, take_rows(x, 2)), take_rows(first, 2))
})
