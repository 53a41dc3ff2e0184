"""``shitstorm/text/lexicon.py``: every bundled lexicon and account list loads and covers its
family; malformed rows and files are refused with a clear message."""

import pytest

from shitstorm.schema import CUE_FAMILIES
from shitstorm.text.lexicon import LexiconError, load_lexicons, parse_lexicon

HEAD = "# source: tests\npattern\tfamily\tweight\tnote\n"


def test_every_bundled_lexicon_loads_and_covers_its_family():
    lex = load_lexicons()
    assert set(lex) == set(CUE_FAMILIES) - {"shouting"}
    for family, entries in lex.items():
        assert entries and all(e.family == family and e.note for e in entries)


def test_duplicate_pattern_rejected():
    with pytest.raises(LexiconError, match="duplicate pattern"):
        parse_lexicon(HEAD + "presse\tpublicity_media\t1\ta\nPresse\tpublicity_media\t1\tb\n",
                      "publicity_media.tsv")


def test_unknown_family_rejected():
    with pytest.raises(LexiconError, match="unknown cue family"):
        parse_lexicon(HEAD + "x\tweather\t1\tnote\n", "weather.tsv")


def test_family_must_match_file():
    with pytest.raises(LexiconError, match="in the file for"):
        parse_lexicon(HEAD + "anwalt\tlegal_threat\t1\tnote\n", "insult.tsv")


def test_source_header_required():
    with pytest.raises(LexiconError, match="source"):
        parse_lexicon("pattern\tfamily\tweight\tnote\nanwalt\tlegal_threat\t1\tn\n", "legal_threat.tsv")


@pytest.mark.parametrize("row,msg", [
    ("anwalt\tlegal_threat\tviel\tn\n", "not a number"),
    ("anwalt\tlegal_threat\t9\tn\n", "outside"),
    ("anwalt\tlegal_threat\t1\t\n", "needs a note"),
    ("re:(unclosed\tlegal_threat\t1\tn\n", "bad regular expression"),
])
def test_bad_rows_rejected(row, msg):
    with pytest.raises(LexiconError, match=msg):
        parse_lexicon(HEAD + row, "legal_threat.tsv")


ACC_HEAD = "# source: tests\nhandle\tfamily\tweight\tnote\n"


def test_bundled_accounts_load_and_name_media_and_regulators():
    from shitstorm.text.lexicon import load_accounts

    acc = load_accounts()
    assert acc["wiso_zdf"].family == "publicity_media" and acc["bnetza"].family == "regulator"
    assert all(a.note for a in acc.values())


@pytest.mark.parametrize("rows,msg", [
    ("BILD\tpublicity_media\t1\ta\nbild\tpublicity_media\t1\tb\n", "duplicate handle"),
    ("BILD\tinsult\t1\ta\n", "is not one of"),
    ("BI LD\tpublicity_media\t1\ta\n", "not a handle"),
    ("BILD\tpublicity_media\t1\t\n", "needs a note"),
])
def test_bad_account_rows_rejected(rows, msg):
    from shitstorm.text.lexicon import parse_accounts

    with pytest.raises(LexiconError, match=msg):
        parse_accounts(ACC_HEAD + rows, "accounts/x.tsv")
