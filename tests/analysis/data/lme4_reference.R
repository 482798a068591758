# lme4 reference fits for Steward's GLMM cross-check (development only; see docs/lme4-crosscheck.md).
# Usage: Rscript lme4_reference.R cohort.csv outdir [label ...]
# Writes one JSON per fit (outdir/<label>.json) as soon as it completes.
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

tight_bobyqa <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-10, calc.derivs = TRUE,
                             optCtrl = list(rhobeg = 2e-1, rhoend = 1e-10, maxfun = 1e6),
                             check.conv.grad = .makeCC("warning", tol = 1e-6, relTol = NULL))
tight_nlopt <- glmerControl(optimizer = "nloptwrap", tolPwrss = 1e-10, calc.derivs = TRUE,
                            optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                           ftol_rel = 1e-15, maxeval = 1e6),
                            check.conv.grad = .makeCC("warning", tol = 1e-6, relTol = NULL))
default_ctrl <- glmerControl(calc.derivs = TRUE)

summarise <- function(label, nagq, ctrl, control_text) {
  warns <- character()
  elapsed <- system.time(
    fit <- withCallingHandlers(
      glmer(form, data = d, family = binomial, nAGQ = nagq, control = ctrl),
      warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  )[["elapsed"]]
  se_hess <- sqrt(diag(as.matrix(vcov(fit, use.hessian = TRUE))))
  se_rx <- sqrt(diag(as.matrix(vcov(fit, use.hessian = FALSE))))
  g <- fit@optinfo$derivs$gradient
  list(
    label = label, nAGQ = nagq, control = control_text,
    seconds = elapsed,
    terms = names(fixef(fit)),
    estimate = unname(fixef(fit)),
    std_error = unname(se_hess),
    std_error_rx = unname(se_rx),
    theta = unname(getME(fit, "theta")),
    re_variance = unname(as.numeric(VarCorr(fit)$local_authority)),
    log_likelihood = as.numeric(logLik(fit)),
    deviance = as.numeric(deviance(fit)),
    max_abs_gradient = max(abs(g)),
    optimizer_messages = c(fit@optinfo$conv$lme4$messages, fit@optinfo$message),
    warnings = warns
  )
}

outdir <- args[2]
wanted <- if (length(args) > 2) args[-(1:2)] else
  c("laplace_default", "laplace_bobyqa_tight", "agq7_bobyqa_tight", "laplace_nlopt_tight")
plans <- list(
  laplace_default = list(1, default_ctrl, "glmerControl(calc.derivs = TRUE)"),
  laplace_bobyqa_tight = list(1, tight_bobyqa, "bobyqa, rhoend = 1e-10, tolPwrss = 1e-10"),
  agq7_bobyqa_tight = list(7, tight_bobyqa, "bobyqa, rhoend = 1e-10, tolPwrss = 1e-10"),
  laplace_nlopt_tight = list(1, tight_nlopt,
                             "nloptwrap, xtol_abs = 1e-12, ftol_abs = 1e-14, tolPwrss = 1e-10")
)
for (label in wanted) {
  plan <- plans[[label]]
  res <- summarise(label, plan[[1]], plan[[2]], plan[[3]])
  res$r_version <- R.version.string
  res$lme4_version <- as.character(packageVersion("lme4"))
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE),
             file.path(outdir, paste0(label, ".json")))
  cat(label, "done in", res$seconds, "s\n")
}
