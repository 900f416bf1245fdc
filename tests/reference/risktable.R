# Golden values for the risk tables under the Kaplan-Meier figure, plain and KMunicate (Morris et
# al., BMJ Open 2019): at each time t, the number at risk (time >= t) and the cumulative numbers
# of events and censorings up to and including t, from summary(survfit, times =, extend = TRUE)
# (its n.event / n.censor count the interval since the previous listed time; cumsum gives the
# running totals, as survminer's and ggsurvfit's risk tables show them).
# Run from the repository root:  Rscript tests/reference/risktable.R   (or: make reference)
# Reads tests/reference/data/*.csv, writes tests/reference/out/risktable.csv.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference"
source(file.path(here, "datasets.R"))
versions <- c(r_version = paste(R.version$major, R.version$minor, sep = "."),
              survival_version = as.character(packageVersion("survival")))
read_data <- function(name) {
  d <- read.csv(file.path(here, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
  if ("line_of_therapy" %in% names(d)) d$line3 <- ifelse(d$line_of_therapy >= 3, ">=3", "1-2")
  d
}
cases <- list(
  list(case = "lung_sex", data = "lung", time = "time", event = "status", group = "sex", times = seq(0, 1080, 180)),
  list(case = "gehan_treat", data = "gehan", time = "time", event = "cens", group = "treat", times = c(0, 5, 10, 15, 20, 25, 30, 35)),
  list(case = "sample_pfs_line", data = "sample_analysis", time = "pfs_months", event = "pfs_event", group = "line3", times = seq(0, 48, 6)),
  list(case = "sample_os_all", data = "sample_analysis", time = "os_months", event = "os_event", group = "", times = seq(0, 48, 6))
)
rows <- list()
for (k in cases) {
  d <- read_data(k$data)
  rhs <- if (nzchar(k$group)) sprintf("factor(`%s`)", k$group) else "1"
  fit <- survfit(as.formula(sprintf("Surv(`%s`, `%s`) ~ %s", k$time, k$event, rhs)), data = d)
  s <- summary(fit, times = k$times, extend = TRUE)
  strata <- if (is.null(s$strata)) rep("All patients", length(s$time)) else sub("^[^=]*=", "", as.character(s$strata))
  out <- data.frame(case = k$case, group = strata, time = s$time, at_risk = s$n.risk,
                    events_interval = s$n.event, censored_interval = s$n.censor)
  out$events <- ave(out$events_interval, out$group, FUN = cumsum)
  out$censored <- ave(out$censored_interval, out$group, FUN = cumsum)
  rows[[length(rows) + 1]] <- out
}
res <- do.call(rbind, rows)
res$r_version <- versions[["r_version"]]
res$survival_version <- versions[["survival_version"]]
write.csv(res, file.path(here, "out", "risktable.csv"), row.names = FALSE)
