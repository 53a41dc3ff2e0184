import pickle
import shutil
import warnings

import pytest

import shitstorm
from shitstorm.persist import MANIFEST_FILE, MODEL_FILE, TRUSTED_TYPES, ModelIntegrityError


def test_roundtrip_gives_identical_scores(tiny_model, tiny_model_dir):
    again = shitstorm.load(tiny_model_dir)
    text = "Mein Anwalt meldet sich, das ist Betrug!"
    assert again.score(text) == tiny_model.score(text)


def test_trusted_types_pinned(tiny_model_dir):
    import skops.io as sio

    assert sorted(sio.get_untrusted_types(file=tiny_model_dir / MODEL_FILE)) == sorted(TRUSTED_TYPES)


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(tiny_model_dir, dst)
    return dst


def test_tampered_file_fails_with_clear_error(model_copy):
    data = bytearray((model_copy / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_copy / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="does not match its manifest"):
        shitstorm.load(model_copy)


def test_foreign_pickle_never_runs(model_copy, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (model_copy / MODEL_FILE).write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelIntegrityError):
        shitstorm.load(model_copy)
    with pytest.raises(ModelIntegrityError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shitstorm.load(model_copy, trust=True)  # even trusted, it is no skops file
    assert not marker.exists()


def test_missing_manifest(model_copy):
    (model_copy / MANIFEST_FILE).unlink()
    with pytest.raises(ModelIntegrityError, match="manifest.json is missing"):
        shitstorm.load(model_copy)


def test_missing_directory(tmp_path):
    with pytest.raises(ModelIntegrityError, match="no model file"):
        shitstorm.load(tmp_path / "nowhere")


def test_trust_loads_an_altered_manifest_with_a_warning(model_copy):
    import json

    m = json.loads((model_copy / MANIFEST_FILE).read_text())
    m["sha256"] = "0" * 64
    (model_copy / MANIFEST_FILE).write_text(json.dumps(m))
    with pytest.warns(UserWarning, match="does not match"):
        model = shitstorm.load(model_copy, trust=True)
    assert model.score("Hallo").level in ("none", "low", "elevated", "critical")


# --- issue 12, item 14: an explicit list of accepted types; every relaxation is warned about ----
class ReviewedStep:
    """A type a user adds to a model: not on the reviewed list."""

    def __init__(self):
        self.n = 3


def _model_with_extra_type(model_copy):
    import json

    import skops.io as sio

    from shitstorm.persist import sha256_file

    clf = sio.load(model_copy / MODEL_FILE, trusted=list(TRUSTED_TYPES))
    clf.extra_step_ = ReviewedStep()
    sio.dump(clf, model_copy / MODEL_FILE)
    m = json.loads((model_copy / MANIFEST_FILE).read_text())
    m["sha256"] = sha256_file(model_copy / MODEL_FILE)
    (model_copy / MANIFEST_FILE).write_text(json.dumps(m))
    return f"{__name__}.ReviewedStep"


def _drop_inference_arrays(model_dir):
    import json

    from shitstorm.persist import INFERENCE_FILE

    manifest = json.loads((model_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    del manifest["inference_sha256"]
    (model_dir / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    (model_dir / INFERENCE_FILE).unlink()


def test_issue12_item14_untrusted_types_are_named_and_accepted_only_when_listed(model_copy):
    from shitstorm.persist import ModelTrustWarning

    name = _model_with_extra_type(model_copy)
    # scoring reads only the (verified) inference arrays; the skops file is refused when read
    with pytest.raises(ModelIntegrityError, match=f"trusted=\\['{name}'\\]"):
        shitstorm.load(model_copy).classifier  # noqa: B018
    without_arrays = model_copy.parent / "without_arrays"
    shutil.copytree(model_copy, without_arrays)
    _drop_inference_arrays(without_arrays)
    with pytest.raises(ModelIntegrityError, match=f"trusted=\\['{name}'\\]"):
        shitstorm.load(without_arrays)  # a directory from before the arrays: refused on load
    with pytest.raises(ModelIntegrityError, match="not on the reviewed list"):
        shitstorm.load(model_copy, trusted=["some.OtherType"])
    with pytest.warns(ModelTrustWarning, match=name):
        model = shitstorm.load(model_copy, trusted=[name])
    assert model.classifier.extra_step_.n == 3
    with pytest.warns(ModelTrustWarning, match=name):  # the old switch warns too, naming the types
        shitstorm.load(model_copy, trust=True)


def test_issue12_item14_trust_without_a_manifest_says_the_hash_was_not_checked(model_copy):
    from shitstorm.persist import ModelTrustWarning

    (model_copy / MANIFEST_FILE).unlink()
    with pytest.warns(ModelTrustWarning, match="sha256 and format were NOT checked"):
        shitstorm.load(model_copy, trust=True)


# --- inference arrays (issue #14): scoring without scikit-learn, verified like the model file ---

def test_a_saved_model_carries_verified_inference_arrays(tiny_model_dir):
    import json

    from shitstorm.persist import INFERENCE_FILE, sha256_file

    manifest = json.loads((tiny_model_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["inference_sha256"] == sha256_file(tiny_model_dir / INFERENCE_FILE)
    model = shitstorm.load(tiny_model_dir)
    assert model._classifier is None  # scored from the arrays; the skops file not yet read


def test_tampered_inference_arrays_fail_with_clear_error(model_copy):
    from shitstorm.persist import INFERENCE_FILE

    data = bytearray((model_copy / INFERENCE_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_copy / INFERENCE_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="inference.npz does not match its manifest"):
        shitstorm.load(model_copy)


def test_missing_inference_arrays_named_in_the_manifest_fail(model_copy):
    from shitstorm.persist import INFERENCE_FILE

    (model_copy / INFERENCE_FILE).unlink()
    with pytest.raises(ModelIntegrityError, match="inference.npz is missing"):
        shitstorm.load(model_copy)


def test_a_model_directory_without_arrays_loads_through_skops_with_the_same_scores(model_copy, tiny_model):
    from shitstorm.persist import write_inference_arrays

    texts = ["Mein Anwalt meldet sich, das ist Betrug!", "Danke, alles gut 🙂", "", "@BILD @wiso_zdf"]
    _drop_inference_arrays(model_copy)  # a directory from before the arrays
    old = shitstorm.load(model_copy)
    assert old._classifier is not None
    assert old.score_many(texts) == tiny_model.score_many(texts)
    write_inference_arrays(model_copy)  # added without retraining: the model file is unchanged
    renewed = shitstorm.load(model_copy)
    assert renewed._classifier is None
    assert renewed.score_many(texts) == tiny_model.score_many(texts)
    assert renewed.version == old.version


def test_a_manifest_write_that_fails_leaves_the_old_manifest_whole(model_copy, monkeypatch):
    """Duplicates list of #13/#14: write_inference_arrays replaced manifest.json in place, so a
    failure while writing left a truncated manifest and a directory that no longer loaded."""
    import json

    from shitstorm import persist

    before = (model_copy / persist.MANIFEST_FILE).read_bytes()

    def fail(obj, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dumps", fail)
    with pytest.raises(OSError, match="disk full"):
        persist.write_manifest(model_copy, {"sha256": "x"})
    monkeypatch.undo()
    assert (model_copy / persist.MANIFEST_FILE).read_bytes() == before
    assert sorted(p.name for p in model_copy.iterdir() if p.name.startswith("."))  == []
    shitstorm.load(model_copy)  # still a whole, verified directory


def test_the_classifier_of_an_arrays_model_is_read_on_first_use(tiny_model_dir):
    from shitstorm.classifier import EscalationClassifier

    model = shitstorm.load(tiny_model_dir)
    assert isinstance(model.classifier, EscalationClassifier)
    assert model.classifier is model.classifier


def test_inference_arrays_hold_no_objects(tiny_model_dir):
    import numpy as np

    from shitstorm.persist import INFERENCE_FILE

    with np.load(tiny_model_dir / INFERENCE_FILE, allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_scoring_from_the_arrays_imports_neither_scikit_learn_nor_skops_nor_scipy(tiny_model_dir):
    import subprocess
    import sys

    code = ("import sys, shitstorm; m = shitstorm.load(sys.argv[1]); "
            "m.score_many(['Ich gehe zur BILD, das ist Betrug!', 'Danke']); "
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'skops', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code, str(tiny_model_dir)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
