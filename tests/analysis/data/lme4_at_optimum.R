# lme4's own deviance, gradient and Hessian at Steward's optimum (development only; see
# docs/lme4-crosscheck.md). Usage: Rscript lme4_at_optimum.R cohort.csv steward.json out.json
# steward.json: {"1": {"theta": .., "beta": [..]}, "7": {...}} keyed by nAGQ.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, check.names = FALSE,
              colClasses = c(age_group = "character", previous_cpp = "character"))
# Reference levels as Steward's design matrix has them (pandas categories order).
d$wedge <- factor(d$wedge, levels = c("baseline", "wedge_1", "wedge_2", "wedge_3", "wedge_4"))
d$age_group <- factor(d$age_group, levels = c("0-4", "5-9", "10-15"))
d$gender <- factor(d$gender, levels = c("Female", "Male"))
d$ethnicity_group <- factor(d$ethnicity_group,
                            levels = c("White", "Mixed", "Asian", "Black", "Other", "Missing"))
d$previous_cpp <- factor(d$previous_cpp, levels = c("0", "1", "2", "3+"))
d$local_authority <- factor(d$local_authority)

form <- cla_status ~ treatment_group + wedge + age_group + gender + ethnicity_group +
  disabled + uasc + previous_cpp + referral_nfa + cla_rate_per_10k + (1 | local_authority)

steward <- fromJSON(args[2])
out <- list(r_version = R.version.string, lme4_version = as.character(packageVersion("lme4")))
for (key in names(steward)) {
  nagq <- as.integer(key)
  devfun <- glmer(form, data = d, family = binomial, nAGQ = nagq, devFunOnly = TRUE,
                  control = glmerControl(tolPwrss = 1e-12))
  x <- c(steward[[key]]$theta, steward[[key]]$beta)
  elapsed <- system.time(dd <- lme4:::deriv12(devfun, x))[["elapsed"]]
  h <- solve(dd$Hessian)[-1, -1]
  out[[paste0("nAGQ", nagq)]] <- list(
    nAGQ = nagq,
    deviance = devfun(x),
    gradient = dd$gradient,
    std_error = sqrt(diag(h + t(h))),
    seconds = elapsed
  )
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), args[3])
