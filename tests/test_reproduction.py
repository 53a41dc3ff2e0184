"""The shipped model is reproducible from the repository with the documented command, and in
step with the code: retraining gives the same data, parameters and thresholds, and metrics
within ``METRIC_TOLERANCE`` (scikit-learn's tree building and BLAS sums may differ in the last
bits between machines: a figure can move in its fourth decimal, never more). The card is a
pure function of the manifest, checked exactly."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shitstorm.train.card import render_card

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
GERMEVAL = SHARED / "germeval2018" / "germeval2018.training.txt"
POTTS = SHARED / "potts" / "potts.csv"

METRIC_TOLERANCE = 0.005
"""How far a retrained figure may lie from the shipped one (bug of issue #13: 0.9108 vs 0.9101
on another machine with identical library versions)."""


COUNTS_NEAR_A_BOUNDARY = (".reliability", ".alarms")
"""Counts of posts on one side of a probability boundary (per reliability bin, alarms): a post
right at a boundary may fall on the other side; three is more than ever seen."""


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=METRIC_TOLERANCE), path
    elif isinstance(a, int) and any(k in path for k in COUNTS_NEAR_A_BOUNDARY):
        assert abs(a - b) <= 3, path
    else:
        assert a == b, path


def test_the_card_is_rendered_from_the_manifest():
    shipped = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    assert render_card(shipped) == (ROOT / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.skipif(not (GERMEVAL.is_file() and POTTS.is_file()), reason="../shared/data not present")
def test_documented_command_reproduces_the_shipped_model(tmp_path):
    out = tmp_path / "model"
    subprocess.run([sys.executable, "-m", "training.train", "--out", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    shipped = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for key in ("model_version", "thresholds", "data", "params", "base_rates"):
        assert again[key] == shipped[key], key
    for key in ("training_rates", "corpus_rates", "metrics"):
        _close(again[key], shipped[key], key)
