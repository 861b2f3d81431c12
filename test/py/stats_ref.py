# Reference values for src/stats from scipy and statsmodels: reads {"wilson": [[k, n], ...],
# "mcnemar": [[onlyA, onlyB], ...], "binom": [[m, n], ...], "passk": [[n, c, k], ...],
# "bootstrap": [[a...], [b...]]} on stdin, prints the same keys with results.
import json, sys
from fractions import Fraction
from math import comb
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.contingency_tables import mcnemar

q = json.load(sys.stdin)
out = {}
out["wilson"] = [list(proportion_confint(k, n, alpha=0.05, method="wilson")) for k, n in q["wilson"]]
out["wilson90"] = [list(proportion_confint(k, n, alpha=0.10, method="wilson")) for k, n in q["wilson"]]
# mcnemar's table: [[both right, right only in A], [right only in B, both wrong]]; exact = binomial.
out["mcnemar"] = [mcnemar([[5, a], [b, 7]], exact=True).pvalue for a, b in q["mcnemar"]]
out["binomtest"] = [stats.binomtest(min(a, b), a + b, 0.5).pvalue if a + b > 0 else 1.0 for a, b in q["mcnemar"]]
out["binom"] = [float(stats.binom.cdf(m, n, 0.5)) for m, n in q["binom"]]
# pass@k from its definition with exact integers: 1 - C(n-c, k) / C(n, k).
out["passk"] = [float(1 - Fraction(comb(n - c, k), comb(n, k))) for n, c, k in q["passk"]]
a, b = (np.array(x, dtype=float) for x in q["bootstrap"])
res = stats.bootstrap((a, b), lambda x, y: np.mean(y) - np.mean(x), paired=True, method="percentile",
                      n_resamples=20000, random_state=np.random.default_rng(0), vectorized=False)
out["bootstrap"] = [float(res.confidence_interval.low), float(res.confidence_interval.high)]
print(json.dumps(out))
