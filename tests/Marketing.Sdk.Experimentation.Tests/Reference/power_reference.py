"""Reference numbers for PowerTTestTests (t-distribution power and sample size, one-sample
proportion z-test). Run with Debian's python3-statsmodels (0.13.5) / python3-scipy:

    python3 tests/Marketing.Sdk.Experimentation.Tests/Reference/power_reference.py

and paste the printed rows into PowerTTestTests.cs (they are stored there, with this script).
"""
from statsmodels.stats.power import TTestIndPower, NormalIndPower
from statsmodels.stats.proportion import proportions_ztest
from scipy import stats
import statsmodels

print("# statsmodels", statsmodels.__version__)
t = TTestIndPower()
# solve_power for nobs1: (effect size d, alpha, power, ratio, alternative)
for d, alpha, power, ratio, alt in [
    (0.5, 0.05, 0.8, 1, "two-sided"),
    (0.2, 0.05, 0.8, 1, "two-sided"),
    (0.8, 0.05, 0.9, 1, "two-sided"),
    (1.5, 0.05, 0.8, 1, "two-sided"),
    (0.5, 0.05, 0.8, 2, "two-sided"),
    (0.5, 0.01, 0.95, 1, "larger"),
]:
    n = t.solve_power(effect_size=d, alpha=alpha, power=power, ratio=ratio, alternative=alt)
    print(f"nobs1 d={d} alpha={alpha} power={power} ratio={ratio} alt={alt}: {n!r}")
# power for nobs1
for d, n1, alpha, ratio, alt in [
    (0.5, 20, 0.05, 1, "two-sided"),
    (0.3, 50, 0.05, 1.5, "two-sided"),
    (1.0, 5, 0.05, 1, "two-sided"),
    (0.4, 30, 0.05, 1, "larger"),
]:
    p = t.power(effect_size=d, nobs1=n1, alpha=alpha, ratio=ratio, alternative=alt)
    print(f"power d={d} nobs1={n1} alpha={alpha} ratio={ratio} alt={alt}: {p!r}")
# effect size (minimum detectable, standardised)
print("effect n1=50 alpha=0.05 power=0.8:", repr(t.solve_power(nobs1=50, alpha=0.05, power=0.8, ratio=1)))
from scipy.optimize import brentq
print("effect n1=50 alpha=0.05 power=0.8 (brentq xtol=1e-15):", repr(brentq(lambda d: t.power(d, 50, 0.05) - 0.8, 0.1, 2, xtol=1e-15)))
print("normal nobs1 d=0.5:", repr(NormalIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8)))
# noncentral t cdf spot values
for x, df, nc in [(2.0, 10, 1.5), (-1.0, 5, 0.5), (3.0, 98, 2.5), (1.0, 3.5, -2.0)]:
    print(f"nct.cdf({x}, {df}, {nc}) = {stats.nct.cdf(x, df, nc)!r}")
# one-sample proportion z-test (statsmodels docs example: count 5 of 83 against 0.05 -> p 0.695)
for count, nobs, value, alt, pv in [
    (5, 83, 0.05, "two-sided", None),
    (5, 83, 0.05, "two-sided", 0.05),
    (30, 200, 0.1, "larger", None),
    (30, 200, 0.1, "smaller", 0.1),
]:
    z, p = proportions_ztest(count, nobs, value, alternative=alt, prop_var=pv if pv is not None else False)
    print(f"ztest count={count} nobs={nobs} value={value} alt={alt} prop_var={pv}: z={z!r} p={p!r}")
