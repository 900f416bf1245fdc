# Shared by km.R and survdiff.R: the datasets, read exactly as the Python tests read them.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference"
versions <- c(r_version = paste(R.version$major, R.version$minor, sep = "."),
              survival_version = as.character(packageVersion("survival")))

read_csv <- function(name) {
  read.csv(file.path(here, "data", paste0(name, ".csv")), stringsAsFactors = FALSE,
           na.strings = "")
}

# lung (status 0/1) and gehan (6-MP trial) as coxph.R writes them from R's own copies.
lung <- read_csv("lung")
gehan <- read_csv("gehan")

# The sample cohort: analysis columns (export_sample.py) joined with its grouping columns
# (export_km_data.py); line of therapy grouped as the app does (1 / 2 / 3+ and 1-2 / 3+).
sample <- merge(read_csv("sample_analysis"), read_csv("sample_groups"), by = "patient_id",
                sort = FALSE)
sample$line3 <- ifelse(sample$line_of_therapy >= 3, "3+", as.character(sample$line_of_therapy))
sample$line_2 <- ifelse(sample$line_of_therapy >= 3, "3+", "1-2")
# Tied whole-month data: the sample's times rounded to whole months (round half to even, as
# numpy's round).
tied <- sample
tied$pfs_months <- round(tied$pfs_months)
tied$os_months <- round(tied$os_months)

lone <- read_csv("lone_group")
edge <- read_csv("km_edge")

write_out <- function(rows, name) {
  out <- do.call(rbind, rows)
  out$r_version <- versions[["r_version"]]
  out$survival_version <- versions[["survival_version"]]
  write.csv(out, file.path(here, "out", name), row.names = FALSE, na = "")
}
