# Bad files and bad inputs raise R conditions (class braid_error) with the core's message; none of them may
# crash the R session, which would fail every later test.

copy_model <- function(name, dir) {
  for (suffix in c("-symbol.json", "-0000.params")) {
    file.copy(fixture(paste0(name, suffix)), file.path(dir, paste0(name, suffix)))
  }
  file.path(dir, name)
}

test_that("missing files name the path", {
  expect_error(
    braid_load(fixture("no-such-model")),
    class = "braid_io_error", regexp = "no such symbol file: '.*no-such-model-symbol.json'"
  )
  expect_error(braid_load(fixture("mlp"), epoch = 3), class = "braid_io_error", regexp = "mlp-0003.params")
  expect_error(
    braid_load(symbol_file = fixture("mlp-symbol.json"), params_file = tempdir()),
    class = "braid_io_error", regexp = "is a folder"
  )
})

test_that("corrupt params and symbol files raise the core's message", {
  dir <- tempfile("braid-bad-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  prefix <- copy_model("mlp", dir)
  params <- paste0(prefix, "-0000.params")
  symbol <- paste0(prefix, "-symbol.json")
  raw <- readBin(params, "raw", file.size(params))
  writeBin(raw[seq_len(length(raw) %/% 2)], params)
  err <- expect_error(braid_load(prefix), class = "braid_io_error")
  expect_match(conditionMessage(err), "^braid_load \\(params\\): .+")
  writeBin(raw(0), params)
  expect_error(braid_load(prefix), class = "braid_io_error")
  writeBin(as.raw(c(1:200)), params)
  expect_error(braid_load(prefix), class = "braid_error")

  file.copy(fixture("mlp-0000.params"), params, overwrite = TRUE)
  writeLines("{\"nodes\": [", symbol)
  expect_error(braid_load(prefix), class = "braid_error", regexp = "^braid_load \\(symbol\\): ")
  writeBin(raw(0), symbol)
  expect_error(braid_load(prefix), class = "braid_error")
  writeBin(as.raw(c(0x7b, 0x00, 0x22, 0xff, 0xfe)), symbol) # "{", a NUL, bytes that are not UTF-8
  expect_error(braid_load(prefix), class = "braid_error")
  # Parameters of another model: the graph's weights become inputs that predict() asks for.
  file.copy(fixture("cnn-0000.params"), params, overwrite = TRUE)
  file.copy(fixture("mlp-symbol.json"), symbol, overwrite = TRUE)
  model <- braid_load(prefix)
  expect_true(length(model$inputs) > 1L)
  expect_error(
    predict(model, list(data = matrix(0, 1, 10))),
    class = "braid_value_error",
    regexp = "input 'hybridsequential0_dense0_weight' is missing .*params file does not hold"
  )
})

test_that("random damage to the files never crashes R", {
  json <- readBin(fixture("cnn-symbol.json"), "raw", file.size(fixture("cnn-symbol.json")))
  params <- readBin(fixture("cnn-0000.params"), "raw", file.size(fixture("cnn-0000.params")))
  x <- fixture_array("cnn-x")
  dir <- tempfile("braid-fuzz-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  sym_path <- file.path(dir, "m-symbol.json")
  par_path <- file.path(dir, "m-0000.params")
  set.seed(42)
  outcomes <- character(0)
  for (i in 1:60) {
    j <- json
    p <- params
    damage <- function(bytes) {
      at <- sample.int(length(bytes), sample.int(4, 1))
      bytes[at] <- as.raw(sample.int(256, length(at)) - 1L)
      if (runif(1) < 0.3) bytes <- bytes[seq_len(sample.int(length(bytes), 1))]
      bytes
    }
    if (i %% 2 == 0) j <- damage(j) else p <- damage(p)
    writeBin(j, sym_path)
    writeBin(p, par_path)
    outcome <- tryCatch(
      {
        invisible(predict(braid_load(file.path(dir, "m")), x))
        "ok"
      },
      braid_error = function(e) "braid_error"
    )
    outcomes <- c(outcomes, outcome)
  }
  expect_true(all(outcomes %in% c("ok", "braid_error")))
  expect_true(any(outcomes == "braid_error"))
})

test_that("wrong input shapes raise the core's message", {
  model <- braid_load(fixture("cnn"))
  x <- fixture_array("cnn-x") # (2, 3, 8, 8)
  expect_error(predict(model, x[, 1:2, , , drop = FALSE]), class = "braid_value_error", regexp = "infer")
  expect_error(predict(model, as.vector(x)), class = "braid_value_error")
  expect_error(predict(model, matrix(0, 2, 192)), class = "braid_value_error")
  expect_error(predict(model, array(0, c(0, 3, 8, 8))), class = "braid_error")
  expect_error(
    braid_load(fixture("cnn"), input_shapes = list(data = c(2, 4, 8, 8))),
    class = "braid_value_error", regexp = "infer"
  )
  # The model still works after the errors.
  expect_close(predict(model, x), fixture_array("cnn-y"))
})

test_that("garbage inputs are rejected", {
  model <- braid_load(fixture("mlp"))
  expect_error(predict(model, "a"), class = "braid_type_error", regexp = "must be a numeric array")
  expect_error(predict(model, list(data = letters)), class = "braid_type_error")
  expect_error(predict(model, list(data = list(1, 2))), class = "braid_type_error")
  expect_error(predict(model, sum), class = "braid_type_error")
  expect_error(predict(model, complex(10)), class = "braid_type_error")
  expect_error(predict(model, factor(1:10)), class = "braid_type_error")
  expect_error(predict(model, data.frame(a = 1:10)), class = "braid_type_error", regexp = "as.matrix")
  expect_error(predict(model), class = "braid_value_error", regexp = "no input given")
  expect_error(predict(model, NULL), class = "braid_value_error", regexp = "no input given")
  expect_error(predict(model, list()), class = "braid_value_error", regexp = "is missing")
  expect_error(predict(model, matrix(0, 2, 10), 1), class = "braid_value_error")
  # NA and non-finite values are data: they give NaN rather than an error.
  m <- matrix(0, 2, 10)
  m[1, 1] <- NA
  m[2, 2] <- Inf
  out <- predict(model, m)
  expect_identical(dim(out), c(2L, 4L))
  expect_type(out, "double")
  lg <- matrix(TRUE, 1, 10)
  expect_identical(predict(model, lg), predict(model, matrix(1, 1, 10)))
})

test_that("bad arguments to braid_load are rejected", {
  expect_error(braid_load(), class = "braid_value_error", regexp = "give a prefix")
  expect_error(braid_load(42), class = "braid_value_error")
  expect_error(braid_load(c("a", "b")), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), epoch = -1), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), epoch = 1.5), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), epoch = "x"), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), symbol_file = "x"), class = "braid_value_error", regexp = "not both")
  expect_error(braid_load(symbol_file = fixture("mlp-symbol.json")), class = "braid_value_error")
  expect_error(braid_load(symbol_file = NA_character_, params_file = "x"), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), ctx = "tpu"), class = "braid_value_error", regexp = "unknown ctx")
  expect_error(braid_load(fixture("mlp"), ctx = 1), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), ctx = "cpu(99999999999)"), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), input_shapes = list(c(1, 10))), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), input_shapes = list(data = c(-1, 10))), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), input_shapes = list(data = c(NA, 10))), class = "braid_value_error")
  expect_error(braid_load(fixture("mlp"), input_shapes = list(data = "1")), class = "braid_value_error")
  expect_error(
    braid_load(fixture("mlp"), input_shapes = list(images = c(1, 10))),
    class = "braid_value_error", regexp = "not an input"
  )
  expect_s3_class(braid_load(fixture("mlp"), ctx = " CPU(0) "), "braid_model")
})

test_that("a GPU that is not there is a device error", {
  skip_if(.Call(braid:::.native$device_count, 2L) > 0L, "a GPU is present")
  expect_error(braid_load(fixture("mlp"), ctx = "gpu(0)"), class = "braid_device_error", regexp = "not available")
})

test_that("a process forked after a prediction gets an error rather than a hang", {
  skip_on_os("windows")
  model <- braid_load(fixture("cnn"))
  x <- fixture_array("cnn-x")
  invisible(predict(model, x)) # starts braid's worker threads in this process
  job <- parallel::mcparallel(tryCatch(predict(model, x), braid_error = function(e) conditionMessage(e)))
  res <- parallel::mccollect(job, wait = FALSE, timeout = 60)
  if (is.null(res)) {
    tools::pskill(job$pid)
    fail("the forked child did not answer within 60 s")
  } else {
    expect_match(res[[1L]], "cannot run in a process forked")
  }
  expect_close(predict(model, x), fixture_array("cnn-y")) # the parent is unaffected
})
