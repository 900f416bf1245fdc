# Golden values for the restricted mean survival time (RMST): survival's own computation,
# print(survfit(...), rmean = tau) / summary(fit, rmean = tau)$table (no survRM2 needed),
# per group, and the difference of two groups with se = sqrt(se1^2 + se2^2) (survRM2's rmst2).
# Run from the repository root:  Rscript tests/reference/rmst.R   (or: make reference)
# Reads tests/reference/data/*.csv (datasets.R writes lung.csv and gehan.csv),
# writes tests/reference/out/rmst.csv and rmst_difference.csv.
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
# data set, time, event, grouping column ("" = all patients), horizon tau
cases <- data.frame(
  case = c("lung_all_365", "lung_sex_365", "lung_sex_730", "gehan_treat_20", "sample_pfs_12",
           "sample_pfs_line_12", "sample_os_line_24"),
  data = c("lung", "lung", "lung", "gehan", "sample_analysis", "sample_analysis", "sample_analysis"),
  time = c("time", "time", "time", "time", "pfs_months", "pfs_months", "os_months"),
  event = c("status", "status", "status", "cens", "pfs_event", "pfs_event", "os_event"),
  group = c("", "sex", "sex", "treat", "", "line3", "line3"),
  tau = c(365, 365, 730, 20, 12, 12, 24),
  stringsAsFactors = FALSE
)
est_rows <- list(); diff_rows <- list()
for (i in seq_len(nrow(cases))) {
  k <- cases[i, ]
  d <- read_data(k$data)
  rhs <- if (nzchar(k$group)) sprintf("factor(`%s`)", k$group) else "1"
  fit <- survfit(as.formula(sprintf("Surv(`%s`, `%s`) ~ %s", k$time, k$event, rhs)), data = d)
  tab <- summary(fit, rmean = k$tau)$table
  if (!is.matrix(tab)) tab <- t(as.matrix(tab))
  groups <- if (nzchar(k$group)) sub("^[^=]*=", "", rownames(tab)) else "All patients"
  est <- data.frame(case = k$case, group = groups, tau = k$tau, n = tab[, "n.max"],
                    events = tab[, "events"], rmst = tab[, "rmean"], se = tab[, "se(rmean)"],
                    row.names = NULL)
  est_rows[[i]] <- est
  if (nrow(est) == 2) {  # second group minus first (the first is the reference)
    dif <- est$rmst[2] - est$rmst[1]
    se <- sqrt(sum(est$se^2))
    diff_rows[[length(diff_rows) + 1]] <- data.frame(
      case = k$case, group = est$group[2], reference = est$group[1], tau = k$tau,
      difference = dif, se = se, lower = dif - qnorm(0.975) * se, upper = dif + qnorm(0.975) * se,
      p = 2 * pnorm(-abs(dif / se)))
  }
}
save <- function(rows, name) {
  out <- do.call(rbind, rows)
  out$r_version <- versions[["r_version"]]
  out$survival_version <- versions[["survival_version"]]
  write.csv(out, file.path(here, "out", name), row.names = FALSE)
}
save(est_rows, "rmst.csv")
save(diff_rows, "rmst_difference.csv")
cat("rmst.R: wrote", nrow(cases), "cases\n")
