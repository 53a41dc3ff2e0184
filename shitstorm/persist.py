"""Safe, verified model files.

A model directory holds four files that travel together:

* ``shitstorm-model.skops`` — the fitted ``EscalationClassifier`` in skops format, which stores
  objects as data and rebuilds only types on a reviewed list: loading never runs code from the
  file (no pickle). The source of truth, for retraining and inspection;
* ``inference.npz`` — the same model's scoring arrays (``_compiled.inference_arrays``: numbers,
  and strings as UTF-8 bytes), derived from the classifier when it is saved and read with
  ``np.load(allow_pickle=False)``: scoring needs neither scikit-learn nor skops, and gives the
  skops model's numbers to the bit. A directory without it (written before 0.2.x) loads
  through skops as before; ``write_inference_arrays`` adds it;
* ``manifest.json`` — sha256 of the model file and of the arrays, library versions,
  training-data hash, thresholds, metrics;
* ``MODEL_CARD.md`` — intended use, limitations, data credits, metrics, reliability tables.

``load_inference`` checks the arrays' hash before reading them; ``load_classifier`` checks the
model file's hash *before* parsing and refuses any type not in
``TRUSTED_TYPES``; a tampered or foreign file fails with ``ModelIntegrityError``. As in skops,
the caller accepts further types by naming them (``trusted=["mymodule.MyStep"]``), and is
warned that it did. ``trust=True`` (the CLI's ``--trust``) is the old blanket switch, kept for
compatibility: it accepts every type the file holds and a missing or unmatched manifest, each
with a ``ModelTrustWarning`` that says exactly what was not checked.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from .errors import ShitstormError

MODEL_FILE = "shitstorm-model.skops"
INFERENCE_FILE = "inference.npz"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "MODEL_CARD.md"
FORMAT_VERSION = 1

TRUSTED_TYPES: tuple[str, ...] = (
    "shitstorm.classifier.EscalationClassifier",
    "shitstorm.features.CharNgrams",
    "shitstorm.features.CompactTfidfVectorizer",
    "shitstorm.features.CueFeatures",
    "shitstorm.features.StemNgrams",
    "shitstorm.features.StyleFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
"""Types beyond skops' own defaults that a model file may contain. Reviewed: our own feature
classes and scikit-learn's tree predictor hold only numbers, strings and arrays. A test pins
this list against a freshly trained model."""


class ModelIntegrityError(ShitstormError, RuntimeError):
    """The model file is missing, altered, or holds types that are not trusted."""


class ModelTrustWarning(UserWarning):
    """A model was loaded with a check relaxed by the caller: types beyond the reviewed list, a
    hash that does not match, or no manifest at all. The message says which."""


class ModelVersionWarning(UserWarning):
    """The model was trained with other library versions than the ones installed."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import version  # not ``import nltk``: it takes a second to import

    import numpy
    import scipy
    import sklearn
    import skops

    from . import __version__

    return {"shitstorm": __version__, "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "nltk": version("nltk"),
            "skops": skops.__version__}


def save_model_dir(classifier, manifest: dict, card: str, out_dir: Path | str) -> Path:
    """Write model, manifest and card to ``out_dir`` atomically: into a temporary sibling first,
    then swapped in, so a failure never leaves a half-written directory."""
    import skops.io as sio

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        sio.dump(classifier, tmp / MODEL_FILE)
        manifest = dict(manifest, format_version=FORMAT_VERSION,
                        sha256=sha256_file(tmp / MODEL_FILE), versions=library_versions(),
                        inference_sha256=_write_arrays(classifier, tmp / INFERENCE_FILE))
        write_manifest(tmp, manifest)
        (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        if out_dir.exists():
            keep = out_dir.parent / f".{out_dir.name}.old"
            if keep.exists():
                shutil.rmtree(keep)
            os.replace(out_dir, keep)
            os.replace(tmp, out_dir)
            shutil.rmtree(keep)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def write_manifest(model_dir: Path, manifest: dict) -> None:
    """Write ``model_dir/manifest.json`` (UTF-8, indented, one trailing newline) atomically: into
    a temporary sibling first, then renamed over the old one, so a failure leaves the old manifest
    whole. The one writer of manifests."""
    path = model_dir / MANIFEST_FILE
    tmp = model_dir / f".{MANIFEST_FILE}.tmp"
    try:
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_arrays(classifier, path: Path) -> str:
    """Write ``classifier``'s inference arrays to ``path``; returns their sha256."""
    import numpy as np

    from ._compiled import inference_arrays

    with open(path, "wb") as fh:
        np.savez(fh, **inference_arrays(classifier))  # type: ignore[arg-type]  # names → arrays
    return sha256_file(path)


def write_inference_arrays(model_dir: Path | str) -> Path:
    """Add (or renew) ``inference.npz`` in an existing, verified model directory, derived from its
    skops file without retraining; the manifest gets the arrays' sha256, nothing else changes
    (model version, card and model file stay as they are)."""
    model_dir = Path(model_dir)
    classifier, _ = load_classifier(model_dir)
    manifest = read_manifest(model_dir)
    tmp_name = model_dir / f".{INFERENCE_FILE}.tmp"
    try:
        manifest["inference_sha256"] = _write_arrays(classifier, tmp_name)
        os.replace(tmp_name, model_dir / INFERENCE_FILE)
    except BaseException:
        tmp_name.unlink(missing_ok=True)
        raise
    write_manifest(model_dir, manifest)
    return model_dir / INFERENCE_FILE


def load_inference(model_dir: Path | str, manifest: dict):
    """The verified inference arrays of ``model_dir`` as an ``InferenceModel``, or None when the
    manifest names none (a directory from before them). Read with ``allow_pickle=False``: the
    file holds numbers and bytes only, so reading it runs no code."""
    import numpy as np

    expected = manifest.get("inference_sha256")
    if not expected:
        return None
    path = Path(model_dir) / INFERENCE_FILE
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is missing: the manifest lists it (inference_sha256)")
    data = path.read_bytes()  # read once: the bytes hashed are the bytes loaded
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} does not match its manifest (sha256 {actual[:12]}…, expected {str(expected)[:12]}…): "
            "the file was altered or belongs to another model. Retrain, or load(path, trust=True) "
            "to score through the skops file if you know where it came from.")
    from ._compiled import InferenceModel

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        model = InferenceModel(arrays)
    except Exception as exc:  # a damaged or foreign file: numpy and the checks raise various errors
        raise ModelIntegrityError(f"{path} is not a readable shitstorm inference file: {exc}") from None
    _warn_on_version_drift(manifest, libraries=("numpy",))
    return model


def read_manifest(model_dir: Path) -> dict:
    path = model_dir / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelIntegrityError(f"{path} is missing: a model directory needs {MODEL_FILE}, "
                                  f"{MANIFEST_FILE} and {CARD_FILE}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or "sha256" not in manifest:
        raise ModelIntegrityError(f"{path} has no sha256 entry")
    return manifest


def verify_model_file(model_dir: Path | str, *, trust: bool = False) -> dict:
    """Check ``model_dir``'s model file against its manifest (sha256, format) without reading
    it; returns the manifest (``{}`` when ``trust=True`` and there is none)."""
    model_dir = Path(model_dir)
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise ModelIntegrityError(f"no model file {model_path}")
    try:
        manifest = read_manifest(model_dir)
    except ModelIntegrityError as exc:
        if not trust:
            raise
        warnings.warn(f"{exc}; loading anyway because trust=True: the file's sha256 and format were "
                      "NOT checked", ModelTrustWarning, stacklevel=4)
        manifest = {}
    if manifest:
        actual = sha256_file(model_path)
        if actual != manifest["sha256"]:
            msg = (f"{model_path} does not match its manifest (sha256 {actual[:12]}…, expected "
                   f"{str(manifest['sha256'])[:12]}…): the file was altered or belongs to another "
                   "model. Retrain it, or load(path, trust=True) if you know where it came from.")
            if not trust:
                raise ModelIntegrityError(msg)
            warnings.warn(f"{msg} Loading anyway because trust=True: the sha256 check was SKIPPED.",
                          ModelTrustWarning, stacklevel=4)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ModelIntegrityError(f"{model_dir}: model format {manifest.get('format_version')!r}, "
                                      f"this shitstorm reads format {FORMAT_VERSION}")
    return manifest


def load_classifier(model_dir: Path | str, *, trusted=(), trust: bool = False):
    """Verify and load the classifier in ``model_dir``; returns ``(classifier, manifest)``.

    ``trusted``: type names (``"module.Class"``) the caller accepts beyond ``TRUSTED_TYPES``
    after reviewing them; a file with any other type is refused. ``trust=True``: accept every
    type and a missing or unmatched manifest (compatibility; each relaxation is warned about)."""
    import skops.io as sio

    if isinstance(trusted, str):
        raise TypeError("trusted takes a list of type names, e.g. trusted=['mymodule.MyStep']")
    model_dir = Path(model_dir)
    model_path = model_dir / MODEL_FILE
    manifest = verify_model_file(model_dir, trust=trust)
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        unknown = sorted(set(sio.get_untrusted_types(file=model_path)) - set(TRUSTED_TYPES))
        accepted = set(unknown) if trust else set(trusted)
        refused = [t for t in unknown if t not in accepted]
        if refused:
            raise ModelIntegrityError(
                f"{model_path} contains types that are not on the reviewed list: {', '.join(refused)}. "
                f"Loading them could run their code. If you made this file and reviewed these types, "
                f"pass trusted={refused!r} to load().")
        if unknown:
            warnings.warn(f"{model_path}: loading types that are not on the reviewed list, because the caller "
                          f"accepted them: {', '.join(unknown)}", ModelTrustWarning, stacklevel=3)
        classifier = sio.load(model_path, trusted=sorted(set(TRUSTED_TYPES) | set(unknown)))
    except ModelIntegrityError:
        raise
    except UntrustedTypesFoundException as exc:
        raise ModelIntegrityError(f"{model_path} contains types that are not trusted ({exc}).") from None
    except Exception as exc:  # skops raises various errors on foreign or damaged files
        raise ModelIntegrityError(f"{model_path} is not a readable shitstorm model file: {exc}") from None
    from .classifier import EscalationClassifier

    if not isinstance(classifier, EscalationClassifier):
        raise ModelIntegrityError(f"{model_path} holds a {type(classifier).__name__}, not a shitstorm model")
    _warn_on_version_drift(manifest)
    return classifier, manifest


def _warn_on_version_drift(manifest: dict, libraries=("scikit-learn", "numpy")) -> None:
    trained = manifest.get("versions", {})
    if not trained:
        return
    if libraries == ("numpy",):  # the arrays path: scikit-learn is neither used nor imported
        import numpy

        now = {"numpy": numpy.__version__}
    else:
        now = library_versions()
    for lib in libraries:
        a, b = trained.get(lib), now.get(lib)
        if a and b and a.split(".")[:2] != b.split(".")[:2]:
            warnings.warn(f"model trained with {lib} {a}, running {b}: scores may differ slightly; "
                          "retrain with `shitstorm train` to be sure", ModelVersionWarning, stacklevel=4)
