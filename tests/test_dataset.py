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
    with pytest.raises(DataError, match="r.csv:2: more fields"):
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
