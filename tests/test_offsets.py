"""``shitstorm/text/_offsets.py``: offsets of the NFC-composed text map back into the caller's
string (issue 12, item 6). Spans through ``normalise.prepare``: tests/test_normalise.py."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

_DECOMPOSABLE = st.sampled_from(["o\u0308", "a\u0308", "u\u0308", "e\u0301\u0323", "\u1100\u1161\u11a8",
                                 "\u0f73", "\u0344", "x", " ", "ö", "ß", "\u212b", "🤬", "\u0308"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_DECOMPOSABLE | st.characters(), max_size=30).map("".join))
def test_issue12_item6_nfc_offsets_map_back_monotonically(text):
    from shitstorm.text._offsets import nfc_with_offsets

    nfc, offsets = nfc_with_offsets(text)
    assert nfc == unicodedata.normalize("NFC", text)
    if offsets is None:
        return
    assert offsets.start(0) == 0 and offsets.end(len(nfc)) == len(text)
    for p in range(len(nfc)):
        s, e = offsets.span(p, p + 1)
        assert 0 <= s < e <= len(text)
        # the source piece composes to (at least) this character
        assert nfc[p] in unicodedata.normalize("NFC", text[s:e])
        if p + 1 < len(nfc):
            assert e <= offsets.start(p + 1) or offsets.start(p + 1) == s
