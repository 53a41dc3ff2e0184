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


def test_issue12_item14_untrusted_types_are_named_and_accepted_only_when_listed(model_copy):
    from shitstorm.persist import ModelTrustWarning

    name = _model_with_extra_type(model_copy)
    with pytest.raises(ModelIntegrityError, match=f"trusted=\\['{name}'\\]"):
        shitstorm.load(model_copy)
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
