"""Score a Parquet archive of posts on Spark with the library call, then look at the result.

    spark-submit --master yarn examples/spark_job.py s3://bucket/posts/ s3://bucket/scored/
    python examples/spark_job.py posts.parquet scored/          # local[*] on this machine

Every executor needs the wheel installed (``pip install 'shitstorm[spark]'``, or the cluster
library on Databricks): the model ships inside it and each Python worker loads and
hash-checks it once. Nothing but the small summary below is collected to the driver.
"""

from __future__ import annotations

import argparse
import os

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from shitstorm.spark import score


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", help="Parquet file or directory with a string column 'text'")
    ap.add_argument("output", help="output directory")
    args = ap.parse_args(argv)

    builder = SparkSession.builder.appName("shitstorm example")
    if SparkSession.getActiveSession() is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master("local[*]")  # run with plain python: this machine's cores
    spark = builder.getOrCreate()

    posts = spark.read.parquet(args.input)
    scored = score(posts, text_col="text", triage=True)  # lazy: the input columns + typed scores
    scored.write.mode("overwrite").parquet(args.output)

    # what a data team looks at first: how many posts per priority and level
    summary = (spark.read.parquet(args.output)
               .groupBy("priority", "level").count()
               .orderBy("priority", F.desc("count")))
    summary.show(truncate=False)
    # the critical ones with publicity pressure, the words behind it (the post text stays in the table)
    (spark.read.parquet(args.output)
     .where((F.col("level") == "critical") & (F.col("publicity_pressure") >= 0.5))
     .select(*[c for c in posts.columns if c != "text"], "escalation", "publicity_pressure",
             F.col("reasons.cue").alias("cues"), "route")
     .show(5, truncate=False))


if __name__ == "__main__":
    main()
