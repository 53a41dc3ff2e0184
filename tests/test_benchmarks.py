"""The speed benchmarks of issue #14 run and print every figure they promise.

No speed target is asserted here: targets are benchmarks, not tests. Slow (each script starts
fresh processes and scores a few hundred posts); CI runs it with ``-m slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

pytestmark = pytest.mark.slow


def run_json(script: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(BENCH / script), *args, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_throughput_quick_reports_every_figure_on_distinct_texts():
    out = run_json("throughput.py", "--quick")
    assert out["quick"] is True
    texts = out["texts"]
    assert texts["cycled"] is False and 0 < texts["used"] <= 500
    assert sum(texts["composition"].values()) == texts["used"]
    for key in ("diy_before", "score_many_cold", "score_many_warm", "diy_after", "floor", "triage"):
        assert out[key]["posts"] == texts["used"]
        assert out[key]["cpu_s"] > 0 and out[key]["posts_per_s"] > 0
    assert out["score_many_warm"]["same_scores_as_cold"] is True
    assert "textblob_de" in out
    assert out["triage"]["cpu_us_per_post"] > 0
    stages = out["stages"]
    assert set(stages) == {"analyze", "find_pii", "predict_whole_posts", "windows_evidence_scores", "score_many_total"}
    assert all(v >= 0 for v in stages.values()) and stages["score_many_total"] > stages["analyze"] > 0
    latency = out["score_latency"]
    assert latency["calls"] == texts["latency_texts"] == 200
    assert 0 < latency["p50_cpu_us"] <= latency["p99_cpu_us"]
    assert latency["two_word_calls"] == 500 and latency["two_word_p50_cpu_us"] > 0
    assert {"cold_vs_diy", "warm_vs_diy", "cold_vs_textblob_de", "cold_vs_floor"} <= set(out["ratios"])
    assert out["ratios"]["cold_vs_diy"] > 0
    assert out["target"]["score_many_cold_vs_diy"] == 3.0 and isinstance(out["target"]["met"], bool)


def test_cold_start_times_each_command_in_fresh_processes():
    out = run_json("cold_start.py", "--runs", "1")
    assert set(out["commands"]) == {"version", "help", "redact", "score", "import"}
    for name, c in out["commands"].items():
        assert c["cpu_s"] > 0 and c["wall_s"] > 0
        if name == "import":
            assert c["target_cpu_s"] is None and c["met"] is None
        else:
            assert c["target_cpu_s"] in (0.2, 0.5) and isinstance(c["met"], bool)


def test_memory_quick_reports_peak_rss_per_size():
    out = run_json("memory.py", "--quick")
    assert [round(s["csv_mb"]) for s in out["sizes"]] == [0, 1]
    for s in out["sizes"]:
        assert s["rows"] > 0 and s["peak_rss_mb"] > 0
    assert out["max_peak_rss_mb"] == max(s["peak_rss_mb"] for s in out["sizes"])
    assert isinstance(out["met"], bool)


def test_row_words_make_rows_distinct():
    sys.path.insert(0, str(BENCH))
    try:
        from memory import row_word
    finally:
        sys.path.remove(str(BENCH))
    words = [row_word(n) for n in range(30_000)]
    assert len(set(words)) == len(words)
    assert all(w.startswith("zeile") and w.isalpha() for w in words)
