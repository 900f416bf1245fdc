# Golden values for response dynamics on the bundled sample cohort: duration of response (DoR),
# time to response (TTR) and time to treatment failure (TTF), derived here from the dates alone
# (independently of sarcoma.endpoints), then Kaplan-Meier medians with 95% CI and 6/12-month
# rates from survfit (Greenwood variance; conf.type log-log and log).
# Run from the repository root:  Rscript tests/reference/response_dynamics.R   (or: make reference)
# Reads tests/reference/data/sample_dates.csv (export_data.py writes it),
# writes tests/reference/out/response_dynamics_patients.csv (per-patient times and events) and
# tests/reference/out/response_dynamics.csv (the summaries).
suppressPackageStartupMessages(library(survival))
here <- "tests/reference"
versions <- c(r_version = paste(R.version$major, R.version$minor, sep = "."),
              survival_version = as.character(packageVersion("survival")))
d <- read.csv(file.path(here, "data", "sample_dates.csv"), stringsAsFactors = FALSE, na.strings = "")
for (col in c("treatment_start", "response_date", "progression_date", "death_date", "last_follow_up", "treatment_end")) {
  d[[col]] <- as.Date(d[[col]])
}
months <- function(end, start) as.numeric(end - start) / 30.4375  # days / (365.25 / 12)

# DoR: responders (CR/PR) with a response date, to progression or death (the earlier), else
# censored at the last follow-up.
responder <- d$best_response %in% c("CR", "PR") & !is.na(d$response_date)
event_date <- pmin(d$progression_date, d$death_date, na.rm = TRUE)
dor_end <- ifelse(is.na(event_date), d$last_follow_up, event_date)
class(dor_end) <- "Date"
# TTF: to the treatment end for any reason (event); a death on treatment without an end date is
# an event at death; still on treatment: censored at the last follow-up.
died_on <- is.na(d$treatment_end) & !is.na(d$death_date) & d$discontinuation_reason %in% "Death"
ttf_end <- d$treatment_end
ttf_end[died_on] <- d$death_date[died_on]
ongoing <- is.na(ttf_end) & d$on_treatment %in% "yes"
ttf_end[ongoing] <- d$last_follow_up[ongoing]
patients <- data.frame(
  patient_id = d$patient_id,
  dor_time = ifelse(responder, months(dor_end, d$response_date), NA),
  dor_event = ifelse(responder, as.integer(!is.na(event_date)), NA),
  ttr_time = ifelse(responder, months(d$response_date, d$treatment_start), NA),
  ttf_time = months(ttf_end, d$treatment_start),
  ttf_event = ifelse(is.na(ttf_end), NA, as.integer(!ongoing)),
  stringsAsFactors = FALSE
)
patients$r_version <- versions[["r_version"]]
patients$survival_version <- versions[["survival_version"]]
write.csv(patients, file.path(here, "out", "response_dynamics_patients.csv"), row.names = FALSE)

rows <- list()
for (endpoint in c("DoR", "TTF")) {
  time <- patients[[paste0(tolower(endpoint), "_time")]]
  event <- patients[[paste0(tolower(endpoint), "_event")]]
  keep <- !is.na(time) & !is.na(event)
  for (ct in c("log-log", "log")) {
    fit <- survfit(Surv(time[keep], event[keep]) ~ 1, conf.type = ct)
    tab <- summary(fit)$table
    at <- summary(fit, times = c(6, 12), extend = TRUE)
    rows[[length(rows) + 1]] <- data.frame(
      endpoint = endpoint, conf_type = ct, n = unname(tab["n.max"]), events = unname(tab["events"]),
      median = unname(tab["median"]), median_lower = unname(tab["0.95LCL"]), median_upper = unname(tab["0.95UCL"]),
      surv_6 = at$surv[1], lower_6 = at$lower[1], upper_6 = at$upper[1],
      surv_12 = at$surv[2], lower_12 = at$lower[2], upper_12 = at$upper[2])
  }
}
ttr <- patients$ttr_time[!is.na(patients$ttr_time)]
rows[[length(rows) + 1]] <- data.frame(
  endpoint = "TTR", conf_type = "", n = length(ttr), events = length(ttr), median = median(ttr),
  median_lower = min(ttr), median_upper = max(ttr),  # the range, for TTR
  surv_6 = NA, lower_6 = NA, upper_6 = NA, surv_12 = NA, lower_12 = NA, upper_12 = NA)
out <- do.call(rbind, rows)
out$r_version <- versions[["r_version"]]
out$survival_version <- versions[["survival_version"]]
write.csv(out, file.path(here, "out", "response_dynamics.csv"), row.names = FALSE)
cat("response_dynamics.R: wrote", nrow(out), "summaries for", nrow(patients), "patients\n")
