"""Retrain on top of the default: ``shitstorm train --base default mine.csv [more.csv …]``.

The shipped corpus's training batches (``training/data/train_*.csv`` of a source checkout) plus
the team's rows, weighted (``--base-weight``, ``--own-weight``); the team's rows are split by a
fixed rule, and the part held out is never trained on:

**The split rule.** A row is held out when the first 8 hex digits of the sha256 of its key (the
text casefolded, without retweet markers, links and handles: ``background.split_key``) read as
an integer are below ``OWN_HELDOUT_SHARE`` of 16⁸ — about one row in five, the same rows for every
run, seed and file order; copies of a text fall on one side.

Before and after are reported side by side, on the team's held-out rows and on the shipped test
split (``training/data/test_*.csv``): the default (bundled) model, the model already in ``--out``
if there is one, and the new model — all at the same stated base rates. A new model that is worse
on the team's held-out rows than the model it would replace (``worse``) is not written unless
``force``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..persist import CARD_FILE, MANIFEST_FILE, read_manifest, write_manifest
from .background import _SPLIT_RANGE, split_key
from .dataset import DataError, LabelledData, read_labelled_csv

if TYPE_CHECKING:
    from ..model import Model

OWN_HELDOUT_SHARE = 0.2
"""One in five of the team's rows is held out to compare the models on."""
DEFAULT_BASE_WEIGHT = 1.0
DEFAULT_OWN_WEIGHT = 2.0
"""Each of the team's rows weighs twice a corpus row by default: a team's few hundred rows should
move a model trained on thousands, but not drown the guideline's contrast pairs. The before/after
table on the held-out rows says whether another weight does better."""
FEW_OWN_HELDOUT = 30
"""Fewer held-out rows than this: the comparison is reported, with a warning that it rests on few."""


class ModelGotWorse(DataError):
    """The new model is worse on the team's held-out rows than the one in the output directory."""


def checkout_corpus_dir() -> Path:
    """Where a source checkout keeps the corpus (next to the package)."""
    return Path(__file__).resolve().parent.parent / "training" / "data"


def corpus_files(base: str) -> tuple[list[Path], list[Path]]:
    """The corpus's training and test files: ``base`` is ``default`` (the shipped corpus of a
    source checkout) or a directory in the same layout (``train_*.csv``, ``test_*.csv``)."""
    folder = checkout_corpus_dir() if base == "default" else Path(base)
    train = sorted(folder.glob("train_*.csv"))
    test = sorted(folder.glob("test_*.csv"))
    if not train:
        if base == "default":
            raise DataError(
                f"--base default needs the shipped corpus (training/data/train_*.csv), which is not installed "
                f"with the package (looked in {folder}): run from a source checkout of shitstorm "
                "(git clone, then pip install -e .), or pass the corpus folder: --base path/to/training/data")
        raise DataError(f"--base {base}: no train_*.csv files in {folder}")
    return train, test


def is_own_heldout(text: str) -> bool:
    """True for the team's held-out rows (see the module docstring)."""
    digest = hashlib.sha256(split_key(text).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) < OWN_HELDOUT_SHARE * _SPLIT_RANGE


def _subset(data: LabelledData, keep: Sequence[int], tag: str) -> LabelledData:
    digest = hashlib.sha256(f"{data.sha256}:{tag}".encode()).hexdigest()
    return LabelledData(tuple(data.texts[i] for i in keep), tuple(data.levels[i] for i in keep),
                        tuple(data.pressure[i] for i in keep), data.ignored_columns, digest)


def split_own(data: LabelledData) -> tuple[LabelledData, LabelledData]:
    """(training part, held-out part) of the team's rows."""
    held = [i for i, t in enumerate(data.texts) if is_own_heldout(t)]
    heldset = set(held)
    train = [i for i in range(len(data)) if i not in heldset]
    return _subset(data, train, "train"), _subset(data, held, "heldout")


def combine(base: LabelledData, own: LabelledData) -> LabelledData:
    digest = hashlib.sha256(f"{base.sha256}+{own.sha256}".encode()).hexdigest()
    ignored = tuple(dict.fromkeys(base.ignored_columns + own.ignored_columns))
    return LabelledData(base.texts + own.texts, base.levels + own.levels, base.pressure + own.pressure,
                        ignored, digest)


def _metrics(model, data: LabelledData) -> dict | None:
    from .evaluate import predict
    from .metrics import evaluate

    if not len(data):
        return None
    p = predict(model, data)
    return evaluate(p.levels_true, p.pressure_true, p.escalation, p.pressure, p.levels_pred, 0.5, 0.5)


def quality(m: dict | None) -> float | None:
    """The one number the overwrite check compares: the mean of the escalation and pressure
    ROC-AUCs that the rows define (they do not depend on the base rates), else level macro-F1."""
    if m is None:
        return None
    aucs = [m[k] for k in ("escalation_roc_auc", "pressure_roc_auc") if m.get(k) is not None]
    return sum(aucs) / len(aucs) if aucs else m.get("level_macro_f1")


@dataclass
class Comparison:
    columns: list[str]
    own: dict[str, dict | None]
    shipped_test: dict[str, dict | None]

    def to_dict(self) -> dict:
        return {"columns": self.columns, "own_heldout": self.own, "shipped_test": self.shipped_test}


def compare(models: Mapping[str, Model], own_heldout: LabelledData, shipped_test: LabelledData | None) -> Comparison:
    return Comparison(list(models), {k: _metrics(m, own_heldout) for k, m in models.items()},
                      {k: (_metrics(m, shipped_test) if shipped_test is not None else None)
                       for k, m in models.items()})


ROWS = (("escalation_roc_auc", "escalation ROC-AUC"), ("escalation_f1", "escalation F1"),
        ("level_macro_f1", "level macro-F1"), ("level_within_one", "level within-one"),
        ("pressure_roc_auc", "pressure ROC-AUC"), ("pressure_f1", "pressure F1"))


def comparison_table(c: Comparison, own_n: int, test_n: int | None) -> str:
    def fmt(v):
        return "–" if v is None else f"{v:.3f}"

    width = max(12, *(len(x) for x in c.columns))
    lines = []
    for title, block in ((f"your held-out rows ({own_n})", c.own),
                         (f"shipped test split ({test_n})" if test_n else None, c.shipped_test)):
        if title is None:
            continue
        lines.append(f"{title:<24}" + "".join(f"{col:>{width + 2}}" for col in c.columns))
        for key, label in ROWS:
            lines.append(f"  {label:<22}" + "".join(f"{fmt((block[col] or {}).get(key)):>{width + 2}}"
                                                    for col in c.columns))
        lines.append("")
    return "\n".join(lines)


def train_on_base(own_files: Sequence[Path], out: Path, *, base: str = "default",
                  base_weight: float = DEFAULT_BASE_WEIGHT, own_weight: float = DEFAULT_OWN_WEIGHT,
                  seed: int = 0, folds: int = 5, force: bool = False, command: str = "",
                  hostility: Path | None = None, background: Sequence[Path] = (),
                  say: Callable[[str], None] = lambda m: None, warn: Callable[[str], None] = lambda m: None,
                  classifier=None, delimiter: str | None = None, encoding: str = "utf-8") -> dict:
    """Train, compare, and write ``out`` unless the new model is worse there (``ModelGotWorse``).
    Returns the manifest written."""
    from ..model import load
    from .fit import train_and_save

    if base_weight <= 0 or own_weight <= 0:
        raise DataError("--base-weight and --own-weight must be positive")
    out = Path(out)
    existing = None
    if out.exists():
        if not (out / MANIFEST_FILE).is_file():
            if not force:
                raise DataError(f"{out} exists and is not a model directory; choose another --out "
                                "(or --force to replace it)")
        else:
            existing = load(out)
    train_files, test_files = corpus_files(base)
    own = read_labelled_csv(list(own_files), delimiter=delimiter, encoding=encoding)  # read_table's
    own_train, own_held = split_own(own)
    if not len(own_held):
        raise DataError(f"none of your {len(own)} rows falls in the held-out part (about one in "
                        f"{round(1 / OWN_HELDOUT_SHARE)} does): label more rows to compare the models on")
    if len(own_held) < FEW_OWN_HELDOUT:
        warn(f"only {len(own_held)} of your rows are held out: the before/after comparison rests on few rows")
    corpus = read_labelled_csv(train_files)
    shipped_test = read_labelled_csv(test_files) if test_files else None
    mix = combine(corpus, own_train)
    weights = [base_weight] * len(corpus) + [own_weight] * len(own_train)
    own_total = own_weight * len(own_train)
    share = round(own_total / (own_total + base_weight * len(corpus)), 4)
    weight_note = (f"corpus: {len(corpus)} rows × {base_weight:g}; your rows: {len(own_train)} trained × "
                   f"{own_weight:g} ({share:.1%} of the training weight), {len(own_held)} held out")
    say("weights: " + weight_note)
    own_data = {
        "base": "shipped corpus" if base == "default" else f"corpus folder {Path(base).name}",
        "base_rows": len(corpus), "base_sha256": corpus.sha256, "base_weight": base_weight,
        "files": [str(Path(f).name) for f in own_files], "own_rows": len(own), "own_sha256": own.sha256,
        "own_trained": len(own_train), "own_heldout": len(own_held), "own_weight": own_weight,
        "own_weight_share": share, "heldout_rule": f"sha256 of the split key < {OWN_HELDOUT_SHARE:.0%}",
        "own_level_counts": _level_counts(own),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.candidate.", dir=out.parent))
    candidate = tmp / "model"
    try:
        manifest = train_and_save(mix, candidate, test=shipped_test, hostility_path=hostility,
                                  background=list(background), seed=seed, folds=folds, command=command,
                                  progress=say, classifier=classifier, sample_weight=weights,
                                  own_data=own_data, warn=warn)
        new = load(candidate)
        say(f"comparing on {len(own_held)} held-out rows of yours"
            + (f" and {len(shipped_test)} shipped test posts" if shipped_test else ""))
        models = {"default": load(base_rates=new.base_rates)}
        if existing is not None:
            models["existing"] = load(out, base_rates=new.base_rates)
        models["new"] = new
        comp = compare(models, own_held, shipped_test)
        manifest["own_data"]["comparison"] = comp.to_dict()
        manifest["own_data"]["comparison_base_rates"] = new.base_rates
        _rewrite_manifest(candidate, manifest)
        table = comparison_table(comp, len(own_held), len(shipped_test) if shipped_test else None)
        manifest["own_data"]["comparison_table"] = table
        q_new, q_old = quality(comp.own["new"]), quality(comp.own.get("existing"))
        if existing is not None and q_new is not None and q_old is not None and q_new < q_old and not force:
            raise ModelGotWorse(
                f"the new model is worse on your held-out rows than the one in {out} "
                f"(mean ROC-AUC {q_new:.3f} < {q_old:.3f}); {out} is left as it was. "
                "Pass --force to replace it anyway.\n" + table)
        _swap_in(candidate, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def own_files_data(files: Sequence[Path], data: LabelledData) -> dict | None:
    """The ``own_data`` of a plain ``shitstorm train FILE …``: None when every file is the shipped
    corpus's (reproducing the shipped model), else the team's files, from which the card
    describes the team's data."""
    corpus = checkout_corpus_dir().resolve()
    if all(Path(f).resolve().parent == corpus for f in files):
        return None
    return {"base": None, "files": [Path(f).name for f in files], "own_rows": len(data),
            "own_sha256": data.sha256, "own_level_counts": _level_counts(data)}


def _level_counts(data: LabelledData) -> dict[str, int]:
    from .datacheck import class_counts

    return class_counts(data.levels, data.pressure)


def _rewrite_manifest(model_dir: Path, manifest: dict) -> None:
    """Add the comparison to a freshly written model directory (the manifest's sha256 covers the
    model file only) and render the card again from it."""
    from .card import render_card

    on_disk = read_manifest(model_dir)
    on_disk["own_data"] = manifest["own_data"]
    write_manifest(model_dir, on_disk)
    (model_dir / CARD_FILE).write_text(render_card(on_disk), encoding="utf-8")


def _swap_in(candidate: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f".{out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(candidate, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(candidate, out)
