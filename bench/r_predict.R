# Times predict() from R on a batch of images, for bench/r_vs_python_predict.py (which compares it with the
# same prediction through braid.Predictor in Python). Usage:
#
#   Rscript bench/r_predict.R MODEL_PREFIX INPUT.f32 N ITERS BLOCKS OUTPUT.f32
#
# INPUT.f32 holds N normalized 1x28x28 images (float32, little-endian, C order). The input becomes an R array
# with dim c(N, 1, 28, 28) before timing; each timed call is one predict() (float32 conversion and axis
# reordering in and out included). Prints one line per block: "block <i> <ms per predict>", and writes the
# last output (C order) to OUTPUT.f32 so the caller can check it against Python's.

library(braid)

args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 6L)
prefix <- args[[1L]]
n <- as.integer(args[[3L]])
iters <- as.integer(args[[4L]])
blocks <- as.integer(args[[5L]])
shape <- c(n, 1L, 28L, 28L)
v <- readBin(args[[2L]], "numeric", n = prod(shape), size = 4, endian = "little")
x <- aperm(array(v, rev(shape)), rev(seq_along(shape)))

model <- braid_load(prefix)
for (i in 1:5) probs <- predict(model, x) # warm-up: plans the model for this batch size
for (b in seq_len(blocks)) {
  t0 <- Sys.time()
  for (i in seq_len(iters)) probs <- predict(model, x)
  dt <- as.numeric(Sys.time() - t0, units = "secs")
  cat(sprintf("block %d %.4f\n", b, dt / iters * 1000))
}
writeBin(as.vector(t(probs)), args[[6L]], size = 4, endian = "little")
