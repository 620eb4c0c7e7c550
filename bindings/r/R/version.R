# Documented in man/braid_version.Rd.
braid_version <- function() {
  v <- .Call(.native$version)
  structure(
    list(
      core = numeric_version(paste(v[[1L]][1:3], collapse = ".")),
      abi = v[[1L]][[4L]],
      features = strsplit(v[[2L]], " ", fixed = TRUE)[[1L]],
      package = utils::packageVersion("braid")
    ),
    class = "braid_version"
  )
}

format.braid_version <- function(x, ...) {
  sprintf(
    "braid %s (C ABI %d; %s), R package %s", format(x$core), x$abi,
    if (length(x$features)) paste(x$features, collapse = " ") else "no optional features", format(x$package)
  )
}

print.braid_version <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}
