"""``shitstorm/train/dataset.py``: reading labelled, hostility and corpus files, every error
naming file and line in the same words."""

import pytest

from shitstorm.train.dataset import DataError, read_hostility_tsv, read_labelled_csv

from .conftest import write_csv


def test_reads_names_and_numbers_and_reports_extra_columns(tmp_path):
    p = write_csv(tmp_path / "a.csv", [("Hallo", "none", "0", "x"), ("Frechheit", "2", "0", "y")],
                  header=("text", "level", "publicity_pressure", "id"))
    d = read_labelled_csv([p])
    assert d.levels == (0, 2) and d.pressure == (0, 0) and d.ignored_columns == ("id",)


@pytest.mark.parametrize("rows,header,msg", [
    ([("Hallo", "none")], ("text", "level"), r"a.csv:1: missing column\(s\) publicity_pressure"),
    ([("Hallo", "furious", "0")], None, r"a.csv:2: unknown level 'furious'"),
    ([("Hallo", "none", "yes")], None, r"a.csv:2: publicity_pressure must be 0 or 1"),
    ([("ok", "none", "0"), ("   ", "low", "0")], None, r"a.csv:3: empty text"),
])
def test_bad_rows_name_file_row_and_problem(tmp_path, rows, header, msg):
    p = write_csv(tmp_path / "a.csv", rows, header=header or ("text", "level", "publicity_pressure"))
    with pytest.raises(DataError, match=msg):
        read_labelled_csv([p])


def test_bad_encoding(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("text,level,publicity_pressure\nKündigung,low,0\n".encode("latin-1"))
    with pytest.raises(DataError, match="latin1.csv:2: not UTF-8"):
        read_labelled_csv([p])


def test_ragged_row(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("text,level,publicity_pressure\nHallo,none,0,extra\n", encoding="utf-8")
    with pytest.raises(DataError, match="r.csv:2: 4 fields, the header has 3"):
        read_labelled_csv([p])


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_labelled_csv([tmp_path / "nope.csv"])


def test_hostility_format(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("Du Idiot|LBR|echt\tOFFENSE\tINSULT\nSchöner Tag\tOTHER\tOTHER\n", encoding="utf-8")
    texts, labels = read_hostility_tsv(p)
    assert texts == ["Du Idiot\necht", "Schöner Tag"] and labels == [1, 0]
    p.write_text("kaputt\n", encoding="utf-8")
    with pytest.raises(DataError, match="g.txt:1"):
        read_hostility_tsv(p)


# --- one reader for every data CSV (issue #13: read_labelled_csv, review, background and the
# corpus tooling each had their own) -------------------------------------------------------------
LABELLED_HEADER = "text,level,publicity_pressure,split\n"


def _reader(name):
    from shitstorm.train.background import read_real_posts
    from shitstorm.train.review import read_posts

    return {"labelled": lambda p: read_labelled_csv([p]), "review": read_posts, "background": read_real_posts}[name]


@pytest.mark.parametrize("body,msg", [
    (LABELLED_HEADER.encode() + "Kündigung,low,0,train\n".encode("latin-1"), r"d.csv:2: not UTF-8"),
    ((LABELLED_HEADER + "Hallo,none,0,train,zuviel\n").encode(), r"d.csv:2: 5 fields, the header has 4"),
    ((LABELLED_HEADER + "Hallo,none\n").encode(), r"d.csv:2: 2 fields, the header has 4"),
    ((LABELLED_HEADER + '"Hallo"x,none,0,train\n').encode(), r"d.csv:2: malformed CSV"),
    ((LABELLED_HEADER + '"Erste Zeile\nzweite Zeile",none,0,train\nok,low,0,train,zuviel\n').encode(),
     r"d.csv:4: 5 fields, the header has 4"),
    (b"", r"d.csv: empty file"),
    (b"id,body\n1,Hallo\n", r"d.csv:1: missing column\(s\) text"),
])
@pytest.mark.parametrize("reader", ["labelled", "review", "background"])
def test_every_reader_names_file_and_line_in_the_same_words(tmp_path, reader, body, msg):
    """Regression (issue 13, one reader of data CSVs): a labelled file with a short row read as
    empty labels, and each reader had its own messages; now every reader names file and line."""
    p = tmp_path / "d.csv"
    p.write_bytes(body)
    with pytest.raises(DataError, match=msg):
        _reader(reader)(p)


def test_every_reader_accepts_a_byte_order_mark_and_counts_lines_where_a_row_starts(tmp_path):
    from shitstorm.train.background import read_real_posts
    from shitstorm.train.review import read_posts

    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeff".encode() + (LABELLED_HEADER + '"Erste Zeile\nzweite",none,0,train\n\nZug weg,low,0,train\n').encode())
    assert read_labelled_csv([p]).texts == ("Erste Zeile\nzweite", "Zug weg")
    assert read_posts(p).lines == (2, 5)
    assert read_real_posts(p).texts == ("Erste Zeile\nzweite", "Zug weg")


def test_corpus_tooling_reads_through_the_same_reader(tmp_path):
    from training.corpus import CorpusError, read_posts

    p = tmp_path / "train_x.csv"
    p.write_bytes("id,text\n1,Hallo\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"train_x.csv:1: missing column\(s\) level"):
        read_posts([p])
    p.write_bytes("id,text\n1,Kündigung\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"train_x.csv:2: not UTF-8"):
        read_posts([p])
