test_that("braid_version reports the core, its C ABI and features", {
  v <- braid_version()
  expect_s3_class(v, "braid_version")
  expect_s3_class(v$core, "numeric_version")
  expect_true(v$core >= "0.1")
  expect_true(is.integer(v$abi) && v$abi >= 1L)
  expect_type(v$features, "character")
  expect_identical(v$package, utils::packageVersion("braid"))
  expect_output(print(v), "^braid [0-9]+\\.[0-9]+\\.[0-9]+ \\(C ABI [0-9]+; .*\\), R package ")
})

test_that("the installed package carries libbraid and its dependencies", {
  skip_if(Sys.which("ldd") == "", "ldd is not available")
  libs <- system.file("libs", package = "braid")
  expect_true(file.exists(file.path(libs, "libbraid.so")))
  lines <- system2("ldd", file.path(libs, "braid.so"), stdout = TRUE)
  resolved <- sub("^\\s*(\\S+) => (\\S+).*$", "\\1 \\2", grep("=>", lines, value = TRUE))
  expect_false(any(grepl("not found", lines)))
  # libbraid (and anything else not from the system) is loaded from the package itself, so the package keeps
  # working when the braid build folder moves.
  braid_line <- grep("^libbraid\\.so ", resolved, value = TRUE)
  expect_length(braid_line, 1L)
  expect_identical(normalizePath(dirname(sub("^\\S+ ", "", braid_line))), normalizePath(libs))
  outside <- sub("^\\S+ ", "", resolved)
  outside <- outside[!grepl("^/(usr/)?(lib|lib64)/", outside)]
  expect_true(all(normalizePath(dirname(outside)) == normalizePath(libs)), info = paste(outside, collapse = " "))
})

test_that("OpenBLAS's thread spin is shortened unless the user set it", {
  expect_true(nzchar(Sys.getenv("OPENBLAS_THREAD_TIMEOUT")))
})
