"""``shitstorm/text/analysis.py``: ``analyze``, stage 1 of the pipeline (text → Analysis), shows
what the model sees. The cue rules, tokens and style have their own files (test_cues.py,
test_tokenise.py, test_style.py)."""

import shitstorm


def test_analyze_shows_what_the_model_sees():
    a = shitstorm.analyze("Schon WIEDER kein Paket @FlinkPaket!!!")
    d = a.to_dict()
    assert set(d) == {"normalised", "tokens", "stems", "reasons", "flags"}
    assert "xmentionx" in d["normalised"] and "WIEDER" in d["tokens"]
    assert [r["cue"] for r in d["reasons"]][:2] == ["repeat_failure", "shouting"]
