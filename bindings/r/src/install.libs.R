# Installs the glue library together with libbraid.so and the dependencies configure listed in bundle-libs,
# so that the installed package keeps working when the braid build folder moves or goes away.
dest <- file.path(R_PACKAGE_DIR, paste0("libs", R_ARCH))
dir.create(dest, recursive = TRUE, showWarnings = FALSE)
bundle <- readLines("bundle-libs")
files <- c(Sys.glob(paste0("*", SHLIB_EXT)), bundle[nzchar(bundle)])
ok <- file.copy(files, dest, overwrite = TRUE, copy.mode = TRUE)
if (!all(ok)) stop("could not copy into ", dest, ": ", paste(files[!ok], collapse = ", "))
