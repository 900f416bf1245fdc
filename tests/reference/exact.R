# Golden values for the response module: fisher.test (2x2 and Fisher-Freeman-Halton r x c)
# and binom.test (Clopper-Pearson exact interval).
# Run from the repository root:  Rscript tests/reference/exact.R   (or: make reference)
# Writes tests/reference/out/fisher.csv and tests/reference/out/binom.csv.
here <- "tests/reference"
r_version <- paste(R.version$major, R.version$minor, sep = ".")

# Tables as "row; row; ..." with counts separated by spaces (Python parses the same text).
tables <- c(
  seed_table4_orr_evaluable = "12 29; 2 3; 7 8; 1 2",       # responders vs not, by regimen class
  seed_table4_orr_all_treated = "12 31; 2 3; 7 14; 1 2",    # NE counted as non-responders
  seed_table4_best_response = "2 10 10 19; 0 2 2 1; 1 6 5 3; 0 1 2 0",  # CR PR SD PD by regimen
  agresti_job_satisfaction = "1 3 10 6; 2 3 10 7; 1 6 14 12; 0 1 9 11",
  fisher_convictions = "2 10; 15 3",
  tea_tasting = "3 1; 1 3",
  two_by_two_with_zero = "0 5; 6 1",
  small_two_by_three = "1 2 0; 0 1 3",
  three_by_three = "3 0 1; 0 2 0; 1 0 2"
)
parse_table <- function(txt) {
  rows <- lapply(strsplit(strsplit(txt, ";")[[1]], " "), function(r) as.numeric(r[nzchar(r)]))
  do.call(rbind, rows)
}
fisher <- do.call(rbind, lapply(names(tables), function(id) {
  m <- parse_table(tables[[id]])
  f <- fisher.test(m)
  data.frame(table = id, counts = tables[[id]], p = f$p.value,
             odds_ratio_cmle = if (all(dim(m) == 2)) unname(f$estimate) else NA)
}))
fisher$r_version <- r_version
write.csv(fisher, file.path(here, "out", "fisher.csv"), row.names = FALSE)

# x successes of n: the seed's ORR 22/64 and DCR 41/64, per-regimen ORRs, the boundaries, and
# R's own binom.test example (Conover 1971: 682 of 925).
cases <- data.frame(
  x = c(22, 41, 12, 12, 2, 7, 7, 1, 0, 10, 682, 5, 3),
  n = c(64, 64, 41, 43, 5, 15, 21, 3, 10, 10, 925, 10, 72),
  conf_level = c(0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.90, 0.99)
)
binom <- do.call(rbind, lapply(seq_len(nrow(cases)), function(i) {
  b <- binom.test(cases$x[i], cases$n[i], conf.level = cases$conf_level[i])
  data.frame(cases[i, ], lower = b$conf.int[1], upper = b$conf.int[2], row.names = NULL)
}))
binom$r_version <- r_version
write.csv(binom, file.path(here, "out", "binom.csv"), row.names = FALSE)
cat("exact.R: wrote", nrow(fisher), "fisher.test and", nrow(binom), "binom.test results\n")
