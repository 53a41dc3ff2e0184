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


