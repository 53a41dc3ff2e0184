"""``shitstorm.spark`` and ``shitstorm spark-score`` in Spark local mode (issue #7).

One shared session (``local[2]``) for the module. Skipped only when there is no Java: CI
installs it (``.ci/run``); pyspark and pyarrow come with the test extra.
"""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java (apt-get install openjdk-17-jre-headless; .ci/run installs it)",
                allow_module_level=True)

import pyarrow as pa
import pyarrow.parquet as pq

import shitstorm
from shitstorm import cli
from shitstorm import spark as ss

pytestmark = pytest.mark.slow  # Spark in local mode: starting the JVM takes most of a minute

ROOT = Path(__file__).resolve().parent.parent


def _test_split_posts(n: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "training" / "data").glob("test_*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh)]
    return texts[:n]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers: this venv, shitstorm installed
    session = (SparkSession.builder.master("local[2]").appName("shitstorm-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _by_id(df):
    return sorted(df.collect(), key=lambda r: r["id"])


def test_same_numbers_as_score_many_for_1000_posts(spark):
    posts = _test_split_posts(1_000)
    assert len(posts) == 1_000
    texts = posts + [None, "", "   "]
    df = spark.createDataFrame(list(enumerate(texts)), "id long, text string").repartition(2)
    scored = ss.score(df)
    assert scored.schema.fieldNames() == ["id", "text"] + [f.name for f in ss.spark_schema()]
    rows = _by_id(scored)
    expected = shitstorm.score_many(["" if t is None else t for t in texts])
    assert len(rows) == len(expected)
    for row, s in zip(rows, expected, strict=False):
        assert row["escalation"] == s.escalation and row["publicity_pressure"] == s.publicity_pressure
        assert row["level"] == s.level and row["model_version"] == s.model_version
        assert tuple(row["flags"]) == s.flags
        assert [(r.cue, r.text, r.start, r.end, r.negated) for r in row["reasons"]] == \
               [(r.cue, r.text, r.start, r.end, r.negated) for r in s.reasons]
        assert row["pii"] == [k for k in shitstorm.schema.PII_KINDS if k in {f.kind for f in s.pii}]
    null_row = rows[1_000]
    assert null_row["text"] is None and null_row["level"] == "none" and null_row["flags"] == ["empty"]
    assert null_row["escalation"] == 0.0 and null_row["publicity_pressure"] == 0.0


def test_triage_columns_match_the_library(spark):
    texts = ["Wenn ich bis morgen nichts höre, geht das an die BILD!",
             "Ruft mich an: 0171 2345678, es geht um meinen Vertrag.",
             "Danke für die schnelle Hilfe!", None]
    policy = shitstorm.Policy.from_dict({"respond_within": {"P1": 10}})
    rows = _by_id(ss.score(spark.createDataFrame(list(enumerate(texts)), "id long, text string"),
                           triage=True, policy=policy))
    for row, text in zip(rows, texts, strict=False):
        t = shitstorm.triage(shitstorm.score(text or ""), policy)
        assert (row["priority"], row["respond_within"], row["route"], tuple(row["tags"])) == \
               (t.priority, t.respond_within, t.route, t.tags)
    assert rows[0]["respond_within"] == 10


def test_a_text_column_that_is_not_a_string_fails_before_any_job(spark):
    df = spark.createDataFrame([(1, 4711)], "id long, text long")
    sc = spark.sparkContext
    sc.setJobGroup("shitstorm-type-check", "should stay empty")
    with pytest.raises(TypeError, match="column 'text' is bigint, not string"):
        ss.score(df)
    assert sc.statusTracker().getJobIdsForGroup("shitstorm-type-check") == []
    with pytest.raises(ValueError, match="no column 'body'"):
        ss.score(df, text_col="body")


def test_existing_columns_need_a_prefix(spark):
    df = spark.createDataFrame([("Frechheit!!!", "hoch")], "text string, level string")
    with pytest.raises(ValueError, match="already has column.*level.*prefix"):
        ss.score(df)
    row = ss.score(df, prefix="shitstorm_").first()
    assert row["level"] == "hoch" and row["shitstorm_level"] in shitstorm.schema.LEVELS


def test_a_given_model_directory_is_loaded_on_the_executors(spark, tiny_model, tiny_model_dir):
    df = spark.createDataFrame([("Mein Anwalt meldet sich, das ist Betrug.",)], "text string")
    row = ss.score(df, model=tiny_model_dir).first()
    expected = tiny_model.score("Mein Anwalt meldet sich, das ist Betrug.")
    assert row["model_version"] == tiny_model.version != shitstorm.load().version
    assert row["escalation"] == expected.escalation


def test_the_model_is_loaded_once_per_worker_process(tiny_model_dir):
    first = ss._worker_model(str(tiny_model_dir))
    assert ss._worker_model(str(tiny_model_dir)) is first


def test_spark_score_command_writes_the_parquet_columns(spark, tmp_path, capsys):
    src, out = tmp_path / "posts.parquet", tmp_path / "scored"
    texts = ["Schon wieder kein Paket!!! Zum dritten Mal.", "Danke, alles bestens.", None]
    pq.write_table(pa.table({"id": [1, 2, 3], "text": texts}), src)
    assert cli.main(["spark-score", str(src), str(out), "--triage"]) == 0
    table = pq.read_table(out)
    from shitstorm.arrow import score_schema

    for field in score_schema(triage=True):  # the types batch writes to Parquet
        assert table.schema.field(field.name).type == field.type
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    expected = shitstorm.score_many([t or "" for t in texts])
    assert [r["escalation"] for r in rows] == [s.escalation for s in expected]
    assert rows[2]["flags"] == ["empty"]
    # the session was the test's: still usable
    assert spark.range(3).count() == 3
    # an existing output is an error in one line, unless --overwrite
    capsys.readouterr()
    assert cli.main(["spark-score", str(src), str(out)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["spark-score", str(src), str(out), "--overwrite", "--prefix", "s_"]) == 0
    assert "s_level" in pq.read_table(out).schema.names


def test_spark_score_command_errors(spark, tmp_path, capsys):
    src = tmp_path / "ints.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), src)
    assert cli.main(["spark-score", str(src), str(tmp_path / "out")]) == 2
    assert "column 'text' is bigint, not string" in capsys.readouterr().err
    assert cli.main(["spark-score", str(tmp_path / "fehlt.parquet"), str(tmp_path / "out")]) == 1
    assert "fehlt.parquet" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_example_job(spark, tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import spark_job
    finally:
        sys.path.pop(0)
    src, out = tmp_path / "posts.parquet", tmp_path / "scored"
    pq.write_table(pa.table({"post_id": ["a", "b"], "text": ["Ich kündige, nie wieder!", "Danke!"]}), src)
    spark_job.main([str(src), str(out)])
    table = pq.read_table(out)
    assert sorted(table.column("post_id").to_pylist()) == ["a", "b"]
    assert {"level", "escalation", "priority", "route"} <= set(table.schema.names)


def test_spark_submit_runs_the_command(tmp_path):
    """The README's spark-submit line, in local mode: a separate driver started by spark-submit."""
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    src, out = tmp_path / "posts.parquet", tmp_path / "scored"
    pq.write_table(pa.table({"text": ["Wenn ich bis morgen nichts höre, geht das an die BILD!"]}), src)
    entry = Path(shitstorm.__file__).with_name("__main__.py")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    p = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false", str(entry),
                        "spark-score", str(src), str(out)], capture_output=True, text=True, env=env, timeout=600,
                       check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = pq.read_table(out).to_pylist()
    assert rows[0]["level"] == shitstorm.score(rows[0]["text"]).level
