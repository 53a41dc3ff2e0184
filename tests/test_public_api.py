"""Behaviour suite: the public names of ``shitstorm`` (``__all__``) are pinned."""

import shitstorm


def test_exported_members_are_pinned():
    assert sorted(shitstorm.__all__) == sorted([
        "Advice", "Analysis", "Context", "Model", "ModelIntegrityError", "PiiFinding", "Policy",
        "PolicyError", "Reason", "Score", "Triage", "__version__", "analyze", "find_pii", "load",
        "redact", "score", "score_frame", "score_many", "triage",
    ])
    for name in shitstorm.__all__:
        assert hasattr(shitstorm, name)




def test_submodules_are_reachable_after_a_bare_import():
    """Regression (issue 14's lazy ``__init__``): ``import shitstorm`` then ``shitstorm.text`` /
    ``shitstorm.model`` worked while ``__init__`` imported everything eagerly, and still does;
    an unknown name is an ``AttributeError``, not an ``ImportError``."""
    import subprocess
    import sys

    probe = ("import shitstorm\n"
             "print(shitstorm.text.analyze('Frechheit!').tokens, shitstorm.model.Model is shitstorm.Model)\n"
             "try:\n    shitstorm.no_such_thing\nexcept AttributeError as e:\n    print('AE', e)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "('Frechheit', '!') True" in out and "AE module 'shitstorm' has no attribute 'no_such_thing'" in out
