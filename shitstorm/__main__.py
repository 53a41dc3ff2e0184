"""``python -m shitstorm …``, and the file ``spark-submit`` runs (it needs a ``.py`` path):

    here="$(python -c 'import shitstorm, os; print(os.path.dirname(shitstorm.__file__))')"
    spark-submit --master yarn "$here/__main__.py" \\
        spark-score s3://bucket/posts/ s3://bucket/scored/
"""

import os
import sys

if not __package__:
    # Run as a file: its directory, shitstorm/, is first on sys.path. Drop it so that our module
    # names (model, schema, spark, …) cannot shadow anything imported from site-packages.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

from shitstorm.cli import main

if __name__ == "__main__":
    sys.exit(main())
