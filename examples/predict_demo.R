# Predicts the demo's saved test images from R and checks that the labels agree with Python's.
#
# `make demo` trains a LeNet on Fashion-MNIST in Python and writes demo_out/: the exported model
# (fashion_mnist-symbol.json, fashion_mnist-0000.params), the normalized sample images (samples.f32: float32,
# little-endian, C order, shape (N, 1, 28, 28)) and samples.json (labels, Python's predictions and
# probabilities, class names). Run after installing the braid R package (make r-install):
#
#   R_LIBS=build/r-lib Rscript examples/predict_demo.R [demo_out]
#
# Exit status 1 when a label or a probability (beyond 1e-5) differs from Python's.

library(braid)

args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[[1L]] else "demo_out"
if (!requireNamespace("jsonlite", quietly = TRUE)) {
  stop("reading samples.json needs the jsonlite package (Debian: r-cran-jsonlite)")
}

meta <- jsonlite::fromJSON(file.path(dir, "samples.json"), simplifyVector = TRUE)
shape <- as.integer(meta$shape)
values <- readBin(file.path(dir, "samples.f32"), "numeric", n = prod(shape), size = 4, endian = "little")
# The file is in C order; this array's dim() reads like the Python shape (braid's convention in R).
x <- aperm(array(values, rev(shape)), rev(seq_along(shape)))

model <- braid_load(file.path(dir, "fashion_mnist"))
probs <- predict(model, x) # N x 10, one row per image
print(model)
r_labels <- max.col(probs, ties.method = "first") - 1L

python_labels <- as.integer(meta$python_predictions)
python_probs <- meta$python_probs # fromJSON makes the list of rows an N x 10 matrix
classes <- meta$classes
agree <- r_labels == python_labels
max_diff <- max(abs(probs - python_probs))

cat(sprintf("\n%-5s %-12s %-12s %-12s\n", "image", "true", "python", "R"))
for (i in seq_len(min(10L, length(r_labels)))) {
  cat(sprintf(
    "%-5d %-12s %-12s %-12s%s\n", i - 1L, classes[meta$labels[[i]] + 1L], classes[python_labels[[i]] + 1L],
    classes[r_labels[[i]] + 1L], if (agree[[i]]) "" else "  <- differs"
  ))
}
cat(sprintf(
  "\nR vs Python: %d of %d labels agree; max |probability difference| = %.2g; accuracy (R) %.3f\n",
  sum(agree), length(agree), max_diff, mean(r_labels == meta$labels)
))
ok <- all(agree) && max_diff <= 1e-5
cat(if (ok) "OK: R predicts the same labels as Python\n" else "MISMATCH between R and Python\n")
quit(status = if (ok) 0L else 1L)
