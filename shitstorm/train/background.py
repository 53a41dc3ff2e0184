"""Real ordinary posts as background: what a feed looks like when nothing is wrong.

The written corpus is clean; a brand's real feed is mostly chatter, news retweets and replies
full of handles and links. Training reads such posts (PotTS, GermEval 2018 from
``../shared/data``, or a team's own export) as ``level = none``, ``publicity_pressure = 0``, and
the real-traffic benchmark measures on the part held out from them.

**The split rule** (fixed, documented in the model card): a post's *key* is its text casefolded,
with retweet markers, links and @handles removed and whitespace folded; the post is held out when
the first 8 hex digits of the key's sha256, read as an integer, are below
``HELDOUT_SHARE`` of 16⁸. Copies and retweets of one text have one key, so they never stand on
both sides. The held-out part is never used for any choice: not for training, thresholds,
calibration or the hostility head.

**Labels.** Offensive GermEval tweets (coarse label OFFENSE) are left out of the background: they
are hostile, and calling them ``none`` would teach the model that insults are harmless; they
still train the hostility head (training part only). See ``training/README.md`` for what the
alternatives measured.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..text.normalise import _MENTION, _RETWEET, _URL, fold_whitespace
from .dataset import DataError, read_hostility_tsv, read_table

HELDOUT_SHARE = 0.3
"""30% of the real posts are held out for measuring real traffic; 70% train."""

_SPLIT_RANGE = 16 ** 8


def split_key(text: str) -> str:
    """What identifies a text for the split: casefolded, without retweet markers, links and
    handles, whitespace folded.

    >>> split_key("RT @anna: Guten  Morgen https://t.co/x") == split_key("guten morgen")
    True
    """
    for rx in (_RETWEET, _URL, _MENTION):
        text = rx.sub(" ", text)
    return fold_whitespace(text.casefold())


def is_heldout(text: str) -> bool:
    """True for the held-out part of the fixed split (see the module docstring)."""
    digest = hashlib.sha256(split_key(text).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) < HELDOUT_SHARE * _SPLIT_RANGE


@dataclass(frozen=True)
class RealPosts:
    """Real posts of one file: the texts, whether each is offensive (GermEval's label; False
    for files without one), and the sha256 of the file's bytes."""

    path: str
    texts: tuple[str, ...]
    offensive: tuple[bool, ...]
    sha256: str

    def part(self, heldout: bool) -> RealPosts:
        """The training (``heldout=False``) or held-out part of the split."""
        keep = [i for i, t in enumerate(self.texts) if is_heldout(t) == heldout]
        return RealPosts(self.path, tuple(self.texts[i] for i in keep),
                         tuple(self.offensive[i] for i in keep), self.sha256)

    def background(self) -> tuple[str, ...]:
        """The posts used as ``none`` background: all but the offensive ones."""
        return tuple(t for t, off in zip(self.texts, self.offensive, strict=False) if not off)


def read_real_posts(path: Path | str, *, text_column: str = "text") -> RealPosts:
    """Read unlabelled real posts: a CSV with a ``text`` column (PotTS, a team's export), or
    the GermEval 2018 TSV (``.txt``/``.tsv``: text, OFFENSE|OTHER, fine label)."""
    path = Path(path)
    if path.suffix.lower() in (".txt", ".tsv"):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
        tsv_texts, labels = read_hostility_tsv(path)
        return RealPosts(str(path), tuple(tsv_texts), tuple(bool(x) for x in labels),
                         hashlib.sha256(raw).hexdigest())
    table = read_table(path, (text_column,))
    col = table.header.index(text_column)
    texts = tuple(row[col] for _, row in table.records() if row[col].strip())
    if not texts:
        raise DataError(f"{path}: no posts")
    return RealPosts(str(path), texts, (False,) * len(texts), table.sha256)
