"""``shitstorm/train/report.py``: ``shitstorm evaluate --report``, one offline HTML file with the
pictures and no post text; without matplotlib, a message naming the extra."""

import base64
import json
import sys

import pytest

from shitstorm.cli import main

from .conftest import write_csv
from .test_evaluate import LABELLED


@pytest.fixture
def labelled_csv(tmp_path):
    return write_csv(tmp_path / "labelled.csv", LABELLED)


def test_report_is_one_offline_html_file_with_the_pictures(tiny_model_dir, labelled_csv, tmp_path, capsys):
    rep = tmp_path / "report"
    assert main(["evaluate", "--model", str(tiny_model_dir), str(labelled_csv), "--report", str(rep)]) == 0
    for name in ("reliability_escalation.png", "reliability_publicity_pressure.png", "precision_recall.png"):
        assert (rep / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (rep / "report.html").read_text(encoding="utf-8")
    images = page.count('src="data:image/png;base64,')
    assert images == 3
    first = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(first)[:4] == b"\x89PNG"
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    assert "Hallo" not in page and "BILD" not in page  # figures, never post text
    assert json.loads((rep / "metrics.json").read_text(encoding="utf-8"))["n"] == len(LABELLED)


def test_report_without_matplotlib_names_the_extra(tiny_model_dir, labelled_csv, tmp_path, capsys, monkeypatch):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    rep = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_dir), str(labelled_csv), "--report", str(rep)])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'shitstorm[report]'" in err and "Traceback" not in err
    assert not rep.exists()
