import shitstorm


def test_exported_members_are_pinned():
    assert sorted(shitstorm.__all__) == sorted([
        "Analysis", "Model", "ModelIntegrityError", "Reason", "Score", "__version__", "analyze",
        "load", "score", "score_many",
    ])
    for name in shitstorm.__all__:
        assert hasattr(shitstorm, name)


def test_analyze_shows_what_the_model_sees():
    a = shitstorm.analyze("Schon WIEDER kein Paket @FlinkPaket!!!")
    d = a.to_dict()
    assert set(d) == {"normalised", "tokens", "stems", "reasons", "flags"}
    assert "xmentionx" in d["normalised"] and "WIEDER" in d["tokens"]
    assert [r["cue"] for r in d["reasons"]][:2] == ["repeat_failure", "shouting"]
