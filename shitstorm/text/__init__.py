"""Stage 1, text → ``Analysis``: everything the model sees of a post, as plain functions and no
scikit-learn.

    prepare   the match view: NFC, cut to 10,000 characters, control characters blanked
    normalise the model view: HTML removed, links, handles, e-mail addresses, numbers masked
    tokenise  words, ``!``/``?`` runs and emoji; ``stem`` the Snowball stem of a word
    cues      the rules: lexicon cues (``lexicons/``), tagged accounts, shouting → ``Reason``s
    style     how a post is written (caps, floods, emoji, pronouns)
    analyze   all of it at once: ``analyze(text) -> Analysis``
"""

from .analysis import Analysis, analyze
from .cues import find_reasons
from .normalise import normalise, prepare
from .tokenise import stem, tokenise

__all__ = ["Analysis", "analyze", "find_reasons", "normalise", "prepare", "stem", "tokenise"]
