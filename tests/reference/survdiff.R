# Golden values for the log-rank family: survdiff with rho = 0 (log-rank) and rho = 1
# (Fleming-Harrington / Peto & Peto as R defines it), with and without strata.
# Run from the repository root:  Rscript tests/reference/survdiff.R   (or: make reference)
# Writes tests/reference/out/survdiff.csv (one row per test) and survdiff_groups.csv (N,
# observed and expected per group, rho = 0). Where the variance matrix has rank < k - 1
# survdiff stops with "exactly singular": the row says status = "singular" and carries no
# statistic (the app reports df = rank(V), as SAS does).
source("tests/reference/common.R")

lung_ecog <- lung[!is.na(lung$ph.ecog), ]
lone_a <- lone[lone$centre == "A", ]
# (dataset, data, endpoint, time, status, grouping, strata column or NA)
designs <- list(
  list("lung", lung, "OS", "time", "status", "sex", NA),
  list("lung", lung_ecog, "OS", "time", "status", "ph.ecog", NA),
  list("lung", lung_ecog, "OS", "time", "status", "sex", "ph.ecog"),
  list("gehan", gehan, "remission", "time", "cens", "treat", NA),
  list("gehan", gehan, "remission", "time", "cens", "treat", "pair"),
  list("lone", lone, "time", "time", "status", "regimen", "centre"),
  # The information in `lone` is centre A's R1 vs R2 only: the same test on centre A alone.
  list("lone_centre_A", lone_a, "time", "time", "status", "regimen", "centre")
)
for (ep in list(c("PFS", "pfs_months", "pfs_event"), c("OS", "os_months", "os_event"))) {
  for (g in c("line3", "line_2", "histotype", "regimen_class", "sex")) {
    for (s in c(NA, "center")) {
      designs[[length(designs) + 1]] <- list("sample", sample, ep[1], ep[2], ep[3], g, s)
    }
  }
  for (s in c(NA, "center")) {
    designs[[length(designs) + 1]] <- list("tied", tied, ep[1], ep[2], ep[3], "line3", s)
  }
}

test_rows <- list(); group_rows <- list()
for (d in designs) {
  data <- d[[2]]
  data$.group <- data[[d[[6]]]]
  stratified <- !is.na(d[[7]])
  if (stratified) data$.stratum <- data[[d[[7]]]]
  data$.time <- data[[d[[4]]]]
  data$.status <- data[[d[[5]]]]
  f <- if (stratified) Surv(.time, .status) ~ .group + strata(.stratum) else
    Surv(.time, .status) ~ .group
  for (rho in c(0, 1)) {
    key <- data.frame(dataset = d[[1]], endpoint = d[[3]], grouping = d[[6]],
                      strata = if (stratified) d[[7]] else "none", rho = rho)
    fit <- tryCatch(survdiff(f, data = data, rho = rho), error = function(e) e)
    if (inherits(fit, "error")) {
      status <- if (grepl("singular", conditionMessage(fit))) "singular" else conditionMessage(fit)
      test_rows[[length(test_rows) + 1]] <- cbind(key, data.frame(
        status = status, n_groups = length(unique(data$.group)), chisq = NA, df = NA, p = NA))
      next
    }
    expected <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
    df <- sum(expected > 0) - 1  # survdiff's own df rule (print.survdiff)
    test_rows[[length(test_rows) + 1]] <- cbind(key, data.frame(
      status = "ok", n_groups = length(fit$n), chisq = fit$chisq, df = df,
      p = pchisq(fit$chisq, df, lower.tail = FALSE)))
    if (rho == 0) {
      group_rows[[length(group_rows) + 1]] <- cbind(key, data.frame(
        group = sub("^.group=", "", names(fit$n)), n = as.vector(fit$n),
        # With strata survdiff keeps one column per stratum: the totals are the row sums.
        observed = if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs,
        expected = if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp))
    }
  }
}
write_out(test_rows, "survdiff.csv")
write_out(group_rows, "survdiff_groups.csv")
