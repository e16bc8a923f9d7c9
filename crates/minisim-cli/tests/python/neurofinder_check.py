"""Score exported regions with Python's neurofinder and compare with minisim-cli score.

usage: neurofinder_check.py TRUTH.json ESTIMATE.json SCORES.json NAME

neurofinder 1.1.1 (the PyPI release) imports `numpy.NaN`, which NumPy 2 removed; the
alias is restored before importing it. Nothing else of neurofinder is changed.
"""
import json
import sys

import numpy

if not hasattr(numpy, "NaN"):
    numpy.NaN = numpy.nan

import neurofinder  # noqa: E402

truth_path, est_path, scores_path, name = sys.argv[1:5]
a = neurofinder.load(truth_path)
b = neurofinder.load(est_path)
recall, precision = neurofinder.centers(a, b, threshold=5)
inclusion, exclusion = neurofinder.shapes(a, b, threshold=5)
report = next(r for r in json.load(open(scores_path))["reports"] if r["name"] == name)
ours = report["neurofinder"]
theirs = {"recall": recall, "precision": precision, "inclusion": inclusion, "exclusion": exclusion}
for key, value in theirs.items():
    assert abs(ours[key] - float(value)) < 1e-9, (key, ours[key], float(value))
print(json.dumps({"neurofinder": {k: float(v) for k, v in theirs.items()}, "minisim": ours}))
