# R's own data sets used by the golden-value scripts, written to tests/reference/data/ so
# Python reads the identical numbers. Sourced by coxph.R and rmst.R; safe to run on its own.
#   lung:  NCCTG advanced lung cancer (survival::lung), status recoded 1 = death, 0 = censored
#   gehan: the 6-MP leukaemia remission trial (Gehan 1965; MASS::gehan), 21 matched pairs
#   heart: Stanford heart transplant, (start, stop] rows (survival::heart)
suppressPackageStartupMessages({
  library(survival)
  library(MASS)
})
local({
  out <- file.path("tests", "reference", "data")
  write.csv(transform(survival::lung, status = status - 1L), file.path(out, "lung.csv"),
            row.names = FALSE, na = "")
  write.csv(MASS::gehan, file.path(out, "gehan.csv"), row.names = FALSE, na = "")
  write.csv(survival::heart, file.path(out, "heart.csv"), row.names = FALSE, na = "")
})
