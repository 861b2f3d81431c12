"""pylatexenc 2.10 as the oracle of src/tasks/math/paper/latex2text.ts (test/reward/paper-oracle.test.ts).

stdin: JSON list of strings; stdout: JSON list, per string LatexNodes2Text().latex_to_text(s), or
null where it raises (the DeepScaleR grader keeps its input then).
"""
import json
import logging
import sys

from pylatexenc import latex2text

logging.disable(logging.CRITICAL)  # "failed its substitution" warnings
out = []
for s in json.load(sys.stdin):
    try:
        out.append(latex2text.LatexNodes2Text().latex_to_text(s))
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
