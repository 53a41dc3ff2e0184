import shitstorm


def test_exported_members_are_pinned():
    assert sorted(shitstorm.__all__) == sorted([
        "Advice", "Analysis", "Context", "Model", "ModelIntegrityError", "PiiFinding", "Policy",
        "PolicyError", "Reason", "Score", "Triage", "__version__", "analyze", "find_pii", "load",
        "redact", "score", "score_frame", "score_many", "triage",
    ])
    for name in shitstorm.__all__:
        assert hasattr(shitstorm, name)


def test_analyze_shows_what_the_model_sees():
    a = shitstorm.analyze("Schon WIEDER kein Paket @FlinkPaket!!!")
    d = a.to_dict()
    assert set(d) == {"normalised", "tokens", "stems", "reasons", "flags"}
    assert "xmentionx" in d["normalised"] and "WIEDER" in d["tokens"]
    assert [r["cue"] for r in d["reasons"]][:2] == ["repeat_failure", "shouting"]
