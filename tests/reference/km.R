# Golden values for Kaplan-Meier: survfit curves, medians with their CI (quantile.survfit) for
# conf.type "log-log", "log" and "plain", rates at fixed times, and reverse-KM follow-up.
# Run from the repository root:  Rscript tests/reference/km.R   (or: make reference)
# Writes tests/reference/out/km_curve.csv, km_median.csv, km_rates.csv and km_follow_up.csv.
source("tests/reference/common.R")

# (dataset name, data, endpoint, time column, status column, grouping column or NA)
designs <- list(
  list("lung", lung, "OS", "time", "status", NA),
  list("lung", lung, "OS", "time", "status", "sex"),
  list("gehan", gehan, "remission", "time", "cens", "treat"),
  list("sample", sample, "PFS", "pfs_months", "pfs_event", NA),
  list("sample", sample, "OS", "os_months", "os_event", NA),
  list("sample", sample, "PFS", "pfs_months", "pfs_event", "line3"),
  list("sample", sample, "OS", "os_months", "os_event", "line3"),
  list("sample", sample, "PFS", "pfs_months", "pfs_event", "histotype"),
  list("sample", sample, "OS", "os_months", "os_event", "regimen_class"),
  list("tied", tied, "PFS", "pfs_months", "pfs_event", NA),
  list("tied", tied, "PFS", "pfs_months", "pfs_event", "line3"),
  list("tied", tied, "OS", "os_months", "os_event", "line3"),
  list("lone", lone, "time", "time", "status", "regimen")
)
for (case in unique(edge$case)) {
  designs[[length(designs) + 1]] <- list(paste0("edge:", case), edge[edge$case == case, ],
                                         "time", "time", "status", NA)
}
conf_types <- c("log-log", "log", "plain")
rate_times <- c(6, 12, 24)

curve_rows <- list(); median_rows <- list(); rate_rows <- list()
for (d in designs) {
  name <- d[[1]]; data <- d[[2]]; endpoint <- d[[3]]; tcol <- d[[4]]; scol <- d[[5]]
  gcol <- d[[6]]
  levels <- if (is.na(gcol)) "All" else sort(unique(data[[gcol]]))
  for (lev in levels) {
    sub <- if (is.na(gcol)) data else data[data[[gcol]] == lev, ]
    for (ct in conf_types) {
      fit <- survfit(Surv(sub[[tcol]], sub[[scol]]) ~ 1, conf.type = ct)
      key <- data.frame(dataset = name, endpoint = endpoint,
                        grouping = if (is.na(gcol)) "none" else gcol, level = lev,
                        conf_type = ct)
      curve_rows[[length(curve_rows) + 1]] <- cbind(key, data.frame(
        time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
        surv = fit$surv, std_err = fit$surv * fit$std.err, lower = fit$lower,
        upper = fit$upper))
      q <- quantile(fit, probs = 0.5)
      median_rows[[length(median_rows) + 1]] <- cbind(key, data.frame(
        n = fit$n, events = sum(fit$n.event), median = unname(q$quantile[1]),
        lower = unname(q$lower[1]), upper = unname(q$upper[1])))
      if (ct == "log-log") {
        times <- rate_times[rate_times <= max(fit$time)]
        if (length(times)) {
          s <- summary(fit, times = times)
          rate_rows[[length(rate_rows) + 1]] <- cbind(key, data.frame(
            time = s$time, surv = s$surv, std_err = s$std.err, lower = s$lower,
            upper = s$upper, n_risk = s$n.risk))
        }
      }
    }
  }
}
write_out(curve_rows, "km_curve.csv")
write_out(median_rows, "km_median.csv")
write_out(rate_rows, "km_rates.csv")

# Median follow-up by reverse Kaplan-Meier (censorings are the events), log-log CI as the app.
fu_rows <- list()
for (d in list(list("lung", lung, "time", "status"), list("sample", sample, "os_months", "os_event"),
               list("tied", tied, "os_months", "os_event"))) {
  fit <- survfit(Surv(d[[2]][[d[[3]]]], 1 - d[[2]][[d[[4]]]]) ~ 1, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  fu_rows[[length(fu_rows) + 1]] <- data.frame(
    dataset = d[[1]], median = unname(q$quantile[1]), lower = unname(q$lower[1]),
    upper = unname(q$upper[1]))
}
write_out(fu_rows, "km_follow_up.csv")
