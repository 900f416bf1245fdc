# Golden values for the between-centre heterogeneity of the pooled analysis (issue 15): per
# centre, the Peto hazard ratio of line >= 3 vs 1-2 from that centre's log-rank test
# (log HR = (O - E) / V, SE = 1 / sqrt(V), O - E and V of the ">= 3" group from survdiff),
# the fixed-effect pool sum(O - E) / sum(V), Cochran's Q = sum((O - E)^2 / V) - sum(O - E)^2 /
# sum(V) on (centres - 1) df and I^2 = max(0, (Q - df) / Q). The pool is also read from the
# centre-stratified survdiff, whose O - E and V are the sums over centres.
# Run from the repository root:  Rscript tests/reference/peto.R   (or: make reference)
# Writes tests/reference/out/peto_centres.csv.
source("tests/reference/common.R")

z <- qnorm(0.975)
rows <- list()
for (ep in list(c("PFS", "pfs_months", "pfs_event"), c("OS", "os_months", "os_event"))) {
  ome <- c(); v <- c()
  for (centre in sort(unique(sample$center))) {
    d <- sample[sample$center == centre, ]
    d$.time <- d[[ep[2]]]; d$.status <- d[[ep[3]]]
    if (length(unique(d$line_2)) < 2 || sum(d$.status) == 0) {
      rows[[length(rows) + 1]] <- data.frame(endpoint = ep[1], centre = centre, o_minus_e = NA, variance = NA,
                                             hr = NA, lower = NA, upper = NA, q = NA, df = NA, p = NA, i2 = NA)
      next
    }
    fit <- survdiff(Surv(.time, .status) ~ line_2, data = d)
    o <- fit$obs[2] - fit$exp[2]; var <- fit$var[2, 2]
    ome <- c(ome, o); v <- c(v, var)
    rows[[length(rows) + 1]] <- data.frame(endpoint = ep[1], centre = centre, o_minus_e = o, variance = var,
                                           hr = exp(o / var), lower = exp(o / var - z / sqrt(var)),
                                           upper = exp(o / var + z / sqrt(var)), q = NA, df = NA, p = NA, i2 = NA)
  }
  q <- sum(ome^2 / v) - sum(ome)^2 / sum(v)
  df <- length(v) - 1
  strat <- survdiff(Surv(sample[[ep[2]]], sample[[ep[3]]]) ~ line_2 + strata(center), data = sample)
  o <- sum(strat$obs[2, ]) - sum(strat$exp[2, ]); var <- strat$var[2, 2]
  rows[[length(rows) + 1]] <- data.frame(endpoint = ep[1], centre = "pooled", o_minus_e = o, variance = var,
                                         hr = exp(o / var), lower = exp(o / var - z / sqrt(var)),
                                         upper = exp(o / var + z / sqrt(var)), q = q, df = df,
                                         p = pchisq(q, df, lower.tail = FALSE), i2 = max(0, (q - df) / q))
}
write_out(rows, "peto_centres.csv")
