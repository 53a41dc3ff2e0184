"""``shitstorm/text/normalise.py``: German signal kept, placeholders, odd input flagged, NFC,
and ``prepare``'s spans into the caller's text. The offset map itself: tests/test_offsets.py."""

import unicodedata

import pytest

from shitstorm.text.normalise import MAX_CHARS, mask, normalise, prepare


def test_keeps_german_signal():
    out = normalise("SCHON WIEDER!!! Größte Frechheit, neeeein 😡 ß bleibt?!")
    assert out == "SCHON WIEDER!!! Größte Frechheit, neeeein 😡 ß bleibt?!"


def test_placeholders_for_urls_handles_emails_and_long_numbers():
    out = mask("Siehe https://example.org/x, @FlinkPaket, max@example.de, Kd-Nr. 123 456 78")
    assert "https" not in out and "example.de" not in out and "@Flink" not in out
    assert "xurlx" in out and "xmentionx" in out and "xemailx" in out and "xnumberx" in out


def test_short_numbers_stay():
    assert normalise("zum 3. Mal, 20 Minuten, 49 Euro") == "zum 3. Mal, 20 Minuten, 49 Euro"


def test_html_removed_and_entities_decoded():
    assert normalise("<p>Frechheit &amp; Abzocke</p>") == "Frechheit & Abzocke"
    assert "html" in prepare("<b>hallo</b>").flags


@pytest.mark.parametrize("bad", [None, b"Hallo", 42, ["Hallo"]])
def test_non_string_raises_type_error(bad):
    with pytest.raises(TypeError, match="shitstorm scores text given as str"):
        prepare(bad)


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "...", "!!!"])
def test_empty_and_punctuation_only_are_flagged_empty(text):
    assert "empty" in prepare(text).flags


def test_emoji_only_is_content_not_empty():
    assert prepare("🤬🤬").flags == ()


def test_huge_text_is_truncated_with_flag():
    p = prepare("Frechheit! " * 500_000)  # 5.5 MB
    assert len(p.text) == MAX_CHARS and "truncated" in p.flags


def test_binary_junk_is_blanked_and_flagged():
    junk = "".join(chr(c) for c in range(0, 32)) * 10 + "\ufffd" * 50 + "ok"
    p = prepare(junk)
    assert "binary" in p.flags
    assert len(p.text) == len(junk)  # offsets keep pointing into the caller's text
    assert "\x00" not in p.text


def test_nfc_composition():
    decomposed = "Ku\u0308ndigung"
    assert prepare(decomposed).text == "Kündigung"


# --- issue 12, item 6: offsets of the composed text map back to the caller's string -----------


def test_issue12_item6_prepare_maps_spans_of_decomposed_text():
    text = unicodedata.normalize("NFD", "Wenn ich nichts höre, gehe ich zur Presse")
    p = prepare(text)
    start = p.text.index("Presse")
    s, e = p.source_span(start, start + len("Presse"))
    assert text[s:e] == "Presse"
    s, e = p.source_span(p.text.index("höre"), p.text.index("höre") + 4)
    assert unicodedata.normalize("NFC", text[s:e]) == "höre"
