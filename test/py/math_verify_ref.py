"""Math-Verify (math-verify 0.9.0 from PyPI) as the oracle of test/reward/math-verify.test.ts.

stdin: JSON [{"gold", "pred", "options"}]; stdout: JSON [true|false|null] (null: Math-Verify raised).
Each row is scored as Math-Verify's own tests score it (tests/test_all.py `compare_strings`, the
helper the corpus rows were taken with): LatexExtractionConfig(boxed_match_priority=0) and
ExprExtractionConfig for match_types ["latex", "expr"] unless the row's `options` name others,
verify(..., float_rounding=6 unless `options.float_rounding`, strict=True).
"""
import json
import sys

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify


def compare_strings(gold, pred, match_types=("latex", "expr"), precision=6, strict=True):
    targets = []
    for match_type in match_types:
        if match_type == "latex":
            targets.append(LatexExtractionConfig(boxed_match_priority=0))
        elif match_type == "expr":
            targets.append(ExprExtractionConfig())
    return verify(parse(gold, targets), parse(pred, targets), float_rounding=precision, strict=strict)


out = []
for row in json.load(sys.stdin):
    opts = row.get("options") or {}
    try:
        out.append(bool(compare_strings(row["gold"], row["pred"],
                                         match_types=opts.get("match_types", ("latex", "expr")),
                                         precision=opts.get("float_rounding", 6))))
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
