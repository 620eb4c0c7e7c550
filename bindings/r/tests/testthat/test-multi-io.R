# twoio: data inputs a (N, 3) and b (N, 7); outputs probs (N, 4) and grid (N, 2, 3); the reference outputs
# come from braid.Predictor in Python (tools/make_fixtures.py).

test_that("two inputs and two outputs by name, matching Python within 1e-5", {
  model <- braid_load(fixture("twoio"))
  expect_identical(model$inputs, c("a", "b"))
  expect_identical(model$outputs, c("probs_output", "grid_output"))
  a <- fixture_array("twoio-a")
  b <- fixture_array("twoio-b")
  y0 <- fixture_array("twoio-y0")
  y1 <- fixture_array("twoio-y1")
  out <- predict(model, list(a = a, b = b))
  expect_named(out, c("probs_output", "grid_output"))
  expect_close(out$probs_output, y0)
  expect_close(out$grid_output, y1) # a 3-d output: out[n, i, j] is Python's y[n, i, j]
  # Inputs by name in any order, as a list or as arguments.
  expect_identical(predict(model, list(b = b, a = a)), out)
  expect_identical(predict(model, b = b, a = a), out)
  # Another batch size.
  two <- predict(model, a = take_rows(a, 4:5), b = take_rows(b, 4:5))
  expect_close(two$grid_output, take_rows(y1, 4:5))
  expect_output(print(model), "grid_output\\s+\\(2, 2, 3\\)")
  # Shapes given at load time, in any order; every input needs one.
  planned <- braid_load(fixture("twoio"), input_shapes = list(b = c(5, 7), a = c(5, 3)))
  expect_output(print(planned), "probs_output\\s+\\(5, 4\\)")
  expect_identical(predict(planned, a = a, b = b), out)
  expect_error(
    braid_load(fixture("twoio"), input_shapes = list(a = c(5, 3))),
    class = "braid_value_error", regexp = "lacks the shape of input 'b'"
  )
})

test_that("input names are checked", {
  model <- braid_load(fixture("twoio"))
  a <- fixture_array("twoio-a")
  b <- fixture_array("twoio-b")
  expect_error(predict(model, a), class = "braid_value_error", regexp = "has 2 inputs \\(a, b\\)")
  expect_error(predict(model, list(a = a)), class = "braid_value_error", regexp = "input 'b' is missing")
  expect_error(predict(model, list(a = a, b = b, c = b)), class = "braid_value_error", regexp = "'c' is not an input")
  expect_error(
    predict(model, list(a = a, fa_weight = b)),
    class = "braid_value_error", regexp = "'fa_weight' is not an input"
  )
  expect_error(predict(model, list(a, b)), class = "braid_value_error", regexp = "must name every element")
  expect_error(predict(model, list(a = a, a = b)), class = "braid_value_error", regexp = "given twice")
  expect_error(predict(model, a, b = b), class = "braid_value_error", regexp = "not both")
  # Batch sizes that disagree between the inputs: the core's shape inference names the node.
  expect_error(predict(model, a = a, b = take_rows(b, 1:2)), class = "braid_value_error")
})

# layout: no parameters; outputs its input unchanged, flattened (N, 60) and with axes moved to (0, 3, 1, 2).
test_that("the order of dimensions round-trips between R and the core", {
  model <- braid_load(fixture("layout"))
  x <- fixture_array("layout-x") # dim c(2, 3, 4, 5); x[n, c, h, w] holds Python's x[n, c, h, w]
  expect_identical(x[2, 3, 4, 5], 119)
  expect_identical(x[1, 2, 1, 1], 20)
  out <- predict(model, x)
  expect_named(out, c("same_output", "flat_output", "moved_output"))
  expect_identical(out$same_output, x)
  expect_identical(out$flat_output, fixture_array("layout-y1"))
  expect_identical(out$flat_output[2, ], as.numeric(60:119)) # row n is Python's x[n].ravel()
  expect_identical(out$moved_output, aperm(x, c(1, 4, 2, 3)))
  expect_identical(out$moved_output, fixture_array("layout-y2"))
  # Integer input, a single sample, and other shapes (the model takes any 4-d input).
  xi <- array(seq_len(24L), dim = c(1, 2, 3, 4))
  expect_identical(predict(model, xi)$same_output, array(as.numeric(1:24), dim = c(1, 2, 3, 4)))
  y <- array(rnorm(7 * 1 * 2 * 9), dim = c(7, 1, 2, 9))
  expect_equal(predict(model, y)$same_output, y, tolerance = 1e-6)
})
