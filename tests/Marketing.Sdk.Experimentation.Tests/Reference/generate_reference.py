"""Reference values for the experimentation tests, computed with mpmath (arbitrary precision).

Run: python3 generate_reference.py > reference_values.txt
Every value is printed with 17 significant digits; the tests paste them as constants. The formulas
are the textbook definitions (cited in docs/experimentation.md); mpmath evaluates the special
functions (ncdf, betainc, gammainc, loggamma, erfinv, quad) independently of the code under test.
"""
import mpmath as mp

mp.mp.dps = 60

def f(x):
    return mp.nstr(mp.mpf(x), 17, min_fixed=-400, max_fixed=400) if x not in (mp.inf, -mp.inf) else str(x)

def t_cdf(t, v):
    t = mp.mpf(t); v = mp.mpf(v)
    x = v / (v + t * t)
    tail = mp.betainc(v / 2, mp.mpf(1) / 2, 0, x, regularized=True) / 2
    return 1 - tail if t > 0 else tail

print("# normal cdf")
for x in ["-37", "-20", "-10", "-5", "-1.96", "-1", "0", "0.5", "1.96", "3", "8"]:
    print(x, f(mp.ncdf(mp.mpf(x))))

print("# normal quantile")
mp.mp.dps = 400
for p in ["1e-300", "1e-50", "1e-12", "1e-5", "0.001", "0.025", "0.3", "0.5", "0.7", "0.975", "0.999", "0.9999999999"]:
    pp = mp.mpf(p)
    print(p, f(mp.sqrt(2) * mp.erfinv(2 * pp - 1)))
mp.mp.dps = 60

print("# t cdf (t, df)")
for t, v in [("2.0", "1"), ("-3.5", "2.5"), ("1.5", "5"), ("-2.228138851986273", "10"), ("0.1", "30"),
             ("-2.4600", "24.9"), ("-8", "3"), ("-40", "7"), ("3", "1000"), ("-4", "1000000")]:
    print(t, v, f(t_cdf(t, v)))

print("# t quantile (p, df)")
for p, v in [("0.975", "1"), ("0.975", "2"), ("0.975", "3"), ("0.975", "10"), ("0.975", "30"), ("0.995", "4.5"),
             ("0.001", "7"), ("1e-10", "5"), ("0.6", "12"), ("0.975", "100000")]:
    pp = mp.mpf(p); vv = mp.mpf(v)
    guess = mp.sqrt(2) * mp.erfinv(2 * pp - 1)
    root = mp.findroot(lambda t: t_cdf(t, vv) - pp, guess * (1 + 3 / vv))
    print(p, v, f(root))

print("# chi-square upper tail (x, k)")
for x, k in [("3.841458820694124", "1"), ("5.991464547107979", "2"), ("0.5", "1"), ("25", "3"), ("120", "9"),
             ("1e-4", "2"), ("400", "1"), ("18.307038053275146", "10"), ("1000", "999")]:
    print(x, k, f(mp.gammainc(mp.mpf(k) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)))

print("# log gamma")
for x in ["0.5", "1e-5", "3.7", "10", "100", "123456.789"]:
    print(x, f(mp.loggamma(mp.mpf(x))))

print("# regularized beta (x, a, b)")
for x, a, b in [("0.3", "2", "5"), ("0.999", "0.5", "0.5"), ("0.01", "50", "3"), ("0.5", "1000", "1000"), ("0.48", "5000.5", "5000.5"), ("0.2", "0.1", "10")]:
    a_, b_, x_ = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    try:
        value = mp.betainc(a_, b_, 0, x_, regularized=True)
    except ValueError:  # hypergeometric series too slow: integrate the density instead
        value = mp.quad(lambda t: mp.exp((a_ - 1) * mp.log(t) + (b_ - 1) * mp.log(1 - t) - mp.log(mp.beta(a_, b_))), [0, x_ - mp.mpf("0.05"), x_])
    print(x, a, b, f(value))

print("# two-proportion z test: cc, nc, ct, nt -> z_pooled, p_pooled, z_unpooled, p_unpooled")
for cc, nc, ct, nt in [(200, 1000, 250, 1000), (0, 1000, 10, 1000), (1000, 1000, 990, 1000), (1, 2, 2, 3),
                       (5000000, 1000000000, 5010000, 1000000000), (48, 80, 56, 70)]:
    cc, nc, ct, nt = map(mp.mpf, (cc, nc, ct, nt))
    pc, pt = cc / nc, ct / nt
    pool = (cc + ct) / (nc + nt)
    zp = (pt - pc) / mp.sqrt(pool * (1 - pool) * (1 / nc + 1 / nt))
    zu = (pt - pc) / mp.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
    print(int(cc), int(nc), int(ct), int(nt), f(zp), f(2 * mp.ncdf(-abs(zp))), f(zu), f(2 * mp.ncdf(-abs(zu))))

print("# Welch: Wikipedia example 1 samples")
a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
def summ(xs):
    xs = [mp.mpf(str(x)) for x in xs]
    n = len(xs); m = sum(xs) / n; v = sum((x - m) ** 2 for x in xs) / (n - 1)
    return n, m, v
n1, m1, v1 = summ(a1); n2, m2, v2 = summ(a2)
se2 = v1 / n1 + v2 / n2
t = (m2 - m1) / mp.sqrt(se2)
df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
print("t", f(t), "df", f(df), "p", f(2 * t_cdf(-abs(t), df)))
tq = mp.findroot(lambda x: t_cdf(x, df) - mp.mpf("0.975"), 2)
print("ci", f(m2 - m1 - tq * mp.sqrt(se2)), f(m2 - m1 + tq * mp.sqrt(se2)))

print("# SRM: observed, weights -> chi2, p")
for obs, w in [([10230, 9770], [1, 1]), ([5000, 5000], [1, 1]), ([3300, 3410, 3290], [1, 1, 1]), ([821, 2179], [0.3, 0.7])]:
    N = sum(obs); W = sum(w)
    chi = sum((mp.mpf(o) - N * mp.mpf(x) / W) ** 2 / (N * mp.mpf(x) / W) for o, x in zip(obs, w))
    print(obs, w, f(chi), f(mp.gammainc(mp.mpf(len(obs) - 1) / 2, chi / 2, mp.inf, regularized=True)))

print("# Bayesian P(B > A) and expected loss by quadrature: (aA, bA, aB, bB)")
mp.mp.dps = 30
for aA, bA, aB, bB in [(1 + 200, 1 + 800, 1 + 250, 1 + 750), (1 + 0, 1 + 1000, 1 + 3, 1 + 997), (0.5 + 40, 0.5 + 960, 0.5 + 52, 0.5 + 948), (1 + 10, 1 + 10, 1 + 10, 1 + 10)]:
    aA, bA, aB, bB = map(mp.mpf, (aA, bA, aB, bB))
    fB = lambda x: x ** (aB - 1) * (1 - x) ** (bB - 1) / mp.beta(aB, bB)
    pts = [0, aB / (aB + bB), 1]
    p = mp.quad(lambda x: fB(x) * mp.betainc(aA, bA, 0, x, regularized=True), pts)
    fA = lambda x: x ** (aA - 1) * (1 - x) ** (bA - 1) / mp.beta(aA, bA)
    # loss of choosing B: E[max(pA - pB, 0)] = int int (x - y)+ fA(x) fB(y)
    inner = lambda x: mp.quad(lambda y: (x - y) * fB(y), [0, x])
    loss = mp.quad(lambda x: fA(x) * inner(x), [0, aA / (aA + bA), 1])
    print(f(aA), f(bA), f(aB), f(bB), f(p), f(loss))
