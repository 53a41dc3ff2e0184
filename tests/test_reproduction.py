"""The shipped model is reproducible from the repository with the documented command, and in
step with the code: retraining gives the same thresholds, metrics and scores (the file's bytes
differ because skops names stored arrays by object id)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GERMEVAL = ROOT.parent / "shared" / "data" / "germeval2018" / "germeval2018.training.txt"


@pytest.mark.skipif(not GERMEVAL.is_file(), reason="../shared/data/germeval2018 not present")
def test_documented_command_reproduces_the_shipped_model(tmp_path):
    out = tmp_path / "model"
    subprocess.run([sys.executable, "-m", "training.train", "--out", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    shipped = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for key in ("model_version", "thresholds", "metrics", "data", "params"):
        assert again[key] == shipped[key], key
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8").replace(f"--out {out}", "--out models")
    assert card == (ROOT / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
