"""The German Snowball port (``shitstorm/text/_snowball.py``) gives NLTK's stems word for word,
and scoring no longer imports ``nltk``.

NLTK stays a dependency of the package: it is the reference here, imported inside the tests.
"""

from __future__ import annotations

import csv
import glob
import random
import subprocess
import sys
from pathlib import Path

import pytest

from shitstorm.text import stem, tokenise
from shitstorm.text._snowball import german_stem

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
POTTS = SHARED / "potts" / "potts.csv"
GERMEVAL = SHARED / "germeval2018" / "germeval2018.training.txt"


@pytest.fixture(scope="module")
def nltk_stem():
    from nltk.stem.snowball import GermanStemmer

    return GermanStemmer().stem


def _words(texts) -> set[str]:
    """Every distinct word token (as written and casefolded, the form ``stem`` passes on)."""
    out: set[str] = set()
    for text in texts:
        for tok in tokenise(text):
            if tok[0].isalnum() or tok[0] == "_":
                out.add(tok)
                out.add(tok.casefold())
    return out


def _differences(words, nltk_stem) -> list[tuple[str, str, str]]:
    return [(w, nltk_stem(w), german_stem(w)) for w in sorted(words) if german_stem(w) != nltk_stem(w)]


def test_same_stems_as_nltk_on_every_word_of_the_training_corpus(nltk_stem):
    files = sorted(glob.glob(str(ROOT / "training" / "data" / "*.csv")))
    assert files
    texts = []
    for f in files:
        with open(f, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)]
    words = _words(texts)
    assert len(words) > 10_000
    assert _differences(words, nltk_stem) == []
    # and ``stem`` (casefold, then the port) is NLTK's stem of the casefolded token
    assert [w for w in words if stem(w) != nltk_stem(w.casefold())] == []


@pytest.mark.skipif(not (POTTS.is_file() and GERMEVAL.is_file()),
                    reason="../shared/data (PotTS, GermEval 2018) not present beside the repository")
def test_same_stems_as_nltk_on_real_tweets(nltk_stem):
    with open(POTTS, encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    with open(GERMEVAL, encoding="utf-8") as fh:
        texts += [line.split("\t", 1)[0] for line in fh if line.strip()]
    words = _words(texts)
    assert len(words) > 20_000
    assert _differences(words, nltk_stem) == []


ODD_WORDS = [
    # empty-ish, single letters, digits, no vowel
    "", "a", "e", "s", "y", "ß", "ẞ", "ss", "st", "_", "__init__", "0", "42", "2024er", "1990ern",
    "ä", "üü", "brrr", "pfft", "hmm", "xurlx",
    # case (the port lower-cases like NLTK), umlauts, ß, ss, and letters that change length
    "KÜNDIGUNGEN", "Öffentlichkeit", "ÄRGERNISSE", "Straße", "STRASSE", "Maß", "Masse", "Grüße",
    "GRÜSSE", "fußball", "İstanbul", "ǅemal", "Ωmega", "ﬁnanzen",
    # u and y between vowels, marked left to right (a marked letter is no vowel any more)
    "bauen", "feuer", "feuerung", "treue", "auue", "ayue", "auye", "bayern", "mayonnaise", "eueue",
    "yuyuy", "Ayuyu", "genauuuu", "neeeein", "jaaaaa",
    # step 1: ern, em, er, en, es, e, s; niss(e|en|es)
    "kindern", "diesem", "lehrer", "laufen", "kindes", "rose", "autos", "kids", "ergebnisse",
    "ergebnissen", "ergebnisses", "kenntnis", "nisse", "nissen", "hindernisse", "zeugnisses",
    "bessern", "dems", "ers", "ens",
    # step 2: est, en, er, st
    "schönstest", "größten", "bester", "liebst", "rast", "fast", "kürzest", "lachst", "häkelst",
    # step 3: end, ung, ig, ik, isch, lich, heit, keit (with ig / er / en / lich before them)
    "lesend", "reinigend", "beleidigend", "zeigend", "kündigung", "beschädigung", "neigung",
    "ewig", "lustig", "republik", "technik", "politisch", "typisch", "ehrlich", "herrlich",
    "wesentlich", "öffentlichkeit", "freiheit", "gelegenheit", "verlegenheit", "sauberkeit",
    "freundlichkeit", "ewigkeit", "flüssigkeit", "heiterkeit", "eisch", "eiig", "eiik",
    "gerechtigkeit", "übermütigkeit", "verständigungen", "belästigungen",
    # very long words
    "donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen",
    "rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz" * 4,
    "a" * 1000, "eu" * 500, "ab" * 500 + "lichkeit", "x" * 1000 + "ungen",
]


@pytest.mark.parametrize("word", ODD_WORDS)
def test_same_stems_as_nltk_on_odd_words(word, nltk_stem):
    assert german_stem(word) == nltk_stem(word)
    assert german_stem(word.casefold()) == nltk_stem(word.casefold())


def test_same_stems_as_nltk_on_random_letter_strings(nltk_stem):
    """Seeded strings over vowels, u/y, umlauts, ß and the letters the steps test, often with
    one of the suffixes glued on: every branch of every step, in odd combinations."""
    rng = random.Random(14)
    letters = "aeiouyäöüßsntrlgkchbdfmU1"
    suffixes = ["nisse", "nissen", "nisses", "ern", "em", "er", "en", "es", "e", "s", "est", "st",
                "end", "ung", "ig", "ik", "isch", "lich", "heit", "keit", "igend", "igung", "eigung",
                "erlich", "enheit", "lichkeit", "igkeit", "eigkeit", "y", ""]
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(0, 12))) + rng.choice(suffixes)
             for _ in range(30_000)}
    assert _differences(words, nltk_stem) == []


def test_scoring_does_not_import_nltk():
    code = ("import sys, shitstorm\n"
            "from shitstorm.persist import library_versions\n"
            "shitstorm.text.analyze('Kündigungen, Beschwerden, Öffentlichkeit!!!')\n"
            "versions = library_versions()\n"  # the model loader's version check
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'nltk'), versions['nltk'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.split()
    assert out[0] == "[]"
    assert out[1]  # the version is still recorded in model manifests
