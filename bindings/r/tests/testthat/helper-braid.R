# Fixtures written by tools/make_fixtures.py: models (NAME-symbol.json, NAME-0000.params) and arrays as raw
# little-endian float32 in C order (NAME.f32), listed with their Python shapes in arrays.dcf.

fixture <- function(...) test_path("fixtures", ...)

# An array stored in C order with the given Python shape, as an R array whose dim() reads like that shape.
c_order_array <- function(v, shape) {
  if (length(shape) <= 1L) {
    return(v)
  }
  aperm(array(v, rev(shape)), rev(seq_along(shape)))
}

read_f32 <- function(path, shape) {
  n <- prod(shape)
  v <- readBin(path, "numeric", n = n + 1, size = 4, endian = "little")
  stopifnot(length(v) == n)
  c_order_array(v, shape)
}

fixture_array <- function(name) {
  index <- read.dcf(fixture("arrays.dcf"))
  row <- index[index[, "Name"] == name, , drop = FALSE]
  stopifnot(nrow(row) == 1L)
  read_f32(fixture(paste0(name, ".f32")), as.numeric(strsplit(row[1L, "Shape"], " ")[[1L]]))
}

# Python's assert_allclose(actual, expected, rtol = 1e-5, atol = 1e-5), plus the same dim().
expect_close <- function(actual, expected, tol = 1e-5) {
  expect_identical(dim(actual), dim(expected))
  expect_true(all(abs(actual - expected) <= tol + tol * abs(expected)),
    info = sprintf("max abs difference %g", max(abs(actual - expected)))
  )
}

# The first rows (along the first axis) of an array of any rank, keeping every dimension.
take_rows <- function(x, rows) {
  if (is.null(dim(x))) {
    return(x[rows])
  }
  index <- c(list(rows), lapply(dim(x)[-1L], seq_len))
  do.call(`[`, c(list(x), index, list(drop = FALSE)))
}
