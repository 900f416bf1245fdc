# Golden values for Cox regression: coxph (Efron ties) and cox.zph (survival >= 3.0).
# Run from the repository root:  Rscript tests/reference/coxph.R   (or: make reference)
# Reads  tests/reference/coxph_models.csv (the models: data set, time/event columns,
# covariates, factors with their reference level, strata, start column for (start, stop] data)
# and tests/reference/data/*.csv (lung, gehan and heart are exported by datasets.R first),
# writes tests/reference/out/coxph_coef.csv, coxph_model.csv and cox_zph.csv.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference"
source(file.path(here, "datasets.R"))  # lung, gehan, heart -> data/*.csv
versions <- c(r_version = paste(R.version$major, R.version$minor, sep = "."),
              survival_version = as.character(packageVersion("survival")))

read_data <- function(name) {
  d <- read.csv(file.path(here, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
  if ("line_of_therapy" %in% names(d)) d$line3 <- as.numeric(d$line_of_therapy >= 3)  # >= 3 vs 1-2
  if (name == "sample_analysis") d$pfs_whole_months <- round(d$pfs_months)  # tied whole months
  d
}

models <- read.csv(file.path(here, "coxph_models.csv"), stringsAsFactors = FALSE,
                   na.strings = character(0), colClasses = "character")
coef_rows <- list(); model_rows <- list(); zph_rows <- list()
for (i in seq_len(nrow(models))) {
  m <- models[i, ]
  d <- read_data(m$data)
  covs <- strsplit(m$covariates, " ")[[1]]
  if (nzchar(m$factors)) {
    for (f in strsplit(m$factors, " ")[[1]]) {
      kv <- strsplit(f, "=")[[1]]
      d[[kv[1]]] <- relevel(factor(d[[kv[1]]]), ref = kv[2])
    }
  }
  rhs <- paste(sprintf("`%s`", covs), collapse = " + ")
  if (nzchar(m$strata)) rhs <- paste0(rhs, sprintf(" + strata(`%s`)", m$strata))
  surv <- if (nzchar(m$start)) sprintf("Surv(`%s`, `%s`, `%s`)", m$start, m$time, m$event)
          else sprintf("Surv(`%s`, `%s`)", m$time, m$event)
  form <- as.formula(paste(surv, "~", rhs))
  fit <- coxph(form, data = d, ties = "efron")
  s <- summary(fit)
  ci <- s$conf.int
  coef_rows[[i]] <- data.frame(
    model = m$model, term = gsub("`", "", rownames(s$coefficients)),
    coef = s$coefficients[, "coef"], se = s$coefficients[, "se(coef)"],
    hr = ci[, "exp(coef)"], lower = ci[, "lower .95"], upper = ci[, "upper .95"],
    z = s$coefficients[, "z"], p = s$coefficients[, "Pr(>|z|)"], row.names = NULL)
  cc <- fit$concordance
  model_rows[[i]] <- data.frame(
    model = m$model, n = fit$n, nevent = fit$nevent, iter = fit$iter,
    loglik_null = fit$loglik[1], loglik = fit$loglik[2],
    lr = s$logtest[["test"]], lr_df = s$logtest[["df"]], lr_p = s$logtest[["pvalue"]],
    # summary() rounds the Wald statistic to 2 decimals; fit$wald.test is the unrounded one.
    wald = fit$wald.test, wald_df = s$waldtest[["df"]],
    wald_p = pchisq(fit$wald.test, s$waldtest[["df"]], lower.tail = FALSE),
    score = s$sctest[["test"]], score_df = s$sctest[["df"]], score_p = s$sctest[["pvalue"]],
    concordance = cc[["concordance"]], concordance_se = cc[["std"]],
    concordant = cc[["concordant"]], discordant = cc[["discordant"]], tied_x = cc[["tied.x"]],
    tied_y = cc[["tied.y"]], tied_xy = cc[["tied.xy"]])
  # cox.zph for counting-process data (zph2) is not used by the app: right-censored models only.
  if (!nzchar(m$start)) for (tr in c("km", "rank", "identity")) {
    z <- cox.zph(fit, transform = tr)$table
    zph_rows[[length(zph_rows) + 1]] <- data.frame(
      model = m$model, transform = tr, term = gsub("`", "", rownames(z)),
      chisq = z[, "chisq"], df = z[, "df"], p = z[, "p"], row.names = NULL)
  }
}

save <- function(rows, name) {
  out <- do.call(rbind, rows)
  out$r_version <- versions[["r_version"]]
  out$survival_version <- versions[["survival_version"]]
  write.csv(out, file.path(here, "out", name), row.names = FALSE)
}
save(coef_rows, "coxph_coef.csv")
save(model_rows, "coxph_model.csv")
save(zph_rows, "cox_zph.csv")
cat("coxph.R: wrote", nrow(models), "models\n")
