"""Oracle for test/reward/rational.test.ts: Python's fractions.Fraction (the standard library's exact
rationals) on the same operations. stdin: JSON list of [op, args...] with rationals as "n/d" strings;
stdout: JSON list of results ("n/d" strings, ints, bools, or null where the operation is undefined).
"""
import json
import math
import sys
from fractions import Fraction


def fr(s):
    n, d = s.split("/")
    return Fraction(int(n), int(d))


def show(x):
    return f"{x.numerator}/{x.denominator}"


def exact_root(x, k):
    """The k-th root of x when it is rational, else None."""
    if x < 0 and k % 2 == 0:
        return None
    sign = -1 if x < 0 else 1
    out = []
    for v in (abs(x.numerator), x.denominator):
        r = math.isqrt(v) if k == 2 else round(v ** (1.0 / k))  # the tests keep k > 2 roots small
        found = None
        for c in range(max(0, r - 2), r + 3):
            if c ** k == v:
                found = c
        if found is None:
            return None
        out.append(found)
    return show(Fraction(sign * out[0], out[1]))


res = []
for op, *args in json.load(sys.stdin):
    if op == "parse":
        try:
            res.append(show(Fraction(args[0])))
        except (ValueError, ZeroDivisionError):
            res.append(None)
        continue
    a = fr(args[0])
    if op == "add":
        res.append(show(a + fr(args[1])))
    elif op == "sub":
        res.append(show(a - fr(args[1])))
    elif op == "mul":
        res.append(show(a * fr(args[1])))
    elif op == "div":
        b = fr(args[1])
        res.append(None if b == 0 else show(a / b))
    elif op == "cmp":
        b = fr(args[1])
        res.append((a > b) - (a < b))
    elif op == "pow":
        k = int(args[1])
        res.append(None if (a == 0 and k < 0) else show(a ** k))
    elif op == "root":
        res.append(exact_root(a, int(args[1])))
    elif op == "num":
        res.append(float(a))
    elif op == "isint":
        res.append(a.denominator == 1)
print(json.dumps(res))
