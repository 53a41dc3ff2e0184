"""Feature extractors: scikit-learn estimators over ``Analysis`` objects.

* ``CueFeatures``: per cue family, the weighted count of (non-negated) reasons and the count of
  negated ones — computed from the very ``Reason`` objects shown to agents.
* ``StyleFeatures``: the ``style.STYLE_FEATURES`` of each post.
* ``StemNgrams`` / ``CharNgrams``: analyzers for ``TfidfVectorizer``: stemmed word uni- and
  bigrams, and unstemmed character n-grams within words (they keep umlauts and compounds that
  the Snowball stemmer folds).
"""

from __future__ import annotations

from array import array
from functools import lru_cache
from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from ._compiled import CHAR_INDEX_CACHE_SIZE, _token_char_ngrams, cue_matrix, stem_ngrams, style_matrix
from .schema import CUE_FAMILIES
from .text.style import STYLE_FEATURES


def _check_analyses(X) -> list:
    from .text.analysis import Analysis

    X = list(X)
    for i, a in enumerate(X):
        if not isinstance(a, Analysis):
            raise TypeError(
                f"item {i} is {type(a).__name__}; these features take shitstorm.analyze() results"
            )
    return X


class CueFeatures(TransformerMixin, BaseEstimator):
    """Per family: weighted count of reasons, count of negated reasons (2 × families)."""

    def fit(self, X, y=None):
        self.n_features_out_ = 2 * len(CUE_FAMILIES)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        return cue_matrix(_check_analyses(X))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"cue__{f}" for f in CUE_FAMILIES]
                        + [f"cue_negated__{f}" for f in CUE_FAMILIES], dtype=object)


class StyleFeatures(TransformerMixin, BaseEstimator):
    """The style features of each post (``style.STYLE_FEATURES``)."""

    def fit(self, X, y=None):
        self.n_features_out_ = len(STYLE_FEATURES)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        return style_matrix(_check_analyses(X))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"style__{f}" for f in STYLE_FEATURES], dtype=object)


class StemNgrams:
    """Analyzer: stemmed word n-grams (``min_n``..``max_n``) of an ``Analysis``."""

    def __init__(self, min_n: int = 1, max_n: int = 2):
        self.min_n = min_n
        self.max_n = max_n

    def __call__(self, analysis) -> list[str]:
        return stem_ngrams(analysis.stems, self.min_n, self.max_n)


class CharNgrams:
    """Analyzer: character n-grams inside each (casefolded, unstemmed) token, with the word
    boundary as a space — like scikit-learn's ``char_wb`` but cached per token."""

    def __init__(self, min_n: int = 3, max_n: int = 5):
        self.min_n = min_n
        self.max_n = max_n

    def __call__(self, analysis) -> list[str]:
        out: list[str] = []
        for tok in analysis.tokens:
            out.extend(_token_char_ngrams(tok, self.min_n, self.max_n))
        return out


TOKEN_CACHE_SIZE = CHAR_INDEX_CACHE_SIZE
"""Per vectorizer, the vocabulary indices of up to 32,768 distinct tokens are cached, least
recently used out first (real text repeats its frequent words, so nearly every look-up hits):
the bound of ``TfidfArrays``' cache of the same values. A full cache holds ~11 MB: ~330 bytes a
token measured (the string, ~15 int64 indices, the LRU entry)."""

_INDEX_DTYPE = np.int64
"""Column indices as stored in the token cache (raw bytes) and in the sparse matrix."""


class _TokenIndexCache:
    """Token → the vocabulary indices of its character n-grams, as the raw bytes of an int64
    array: a post's indices are then one ``b"".join`` of cached values (a memory copy).
    ``lookup`` is a ``functools.lru_cache`` of ``TOKEN_CACHE_SIZE`` entries (a hit is a C-level
    dict look-up; when full, the least recently used token goes, never the whole cache)."""

    def __init__(self, vectorizer, maxsize: int = TOKEN_CACHE_SIZE):
        self.vectorizer = vectorizer
        a = vectorizer.analyzer
        ngrams = _token_char_ngrams.__wrapped__  # uncached: this cache keeps the result
        get = vectorizer.vocabulary_.get
        min_n, max_n = a.min_n, a.max_n

        def indices(token: str) -> bytes:
            got = array("q", [i for g in ngrams(token, min_n, max_n) if (i := get(g)) is not None])
            return got.tobytes()

        self.vocabulary = vectorizer.vocabulary_
        self.lookup = lru_cache(maxsize=maxsize)(indices)


class _StemBigramIndex:
    """The vocabulary of ``StemNgrams(1, 2)`` as arrays: each stem seen in a term gets an id;
    ``unigram[id]`` is the column of the stem (-1 if none) and ``bigram_keys`` (sorted) hold
    ``id_a * n_stems + id_b`` of each bigram term "a b", ``bigram_columns`` its column. A batch
    of posts is then looked up with a few numpy operations instead of a dict look-up per n-gram
    string. Stems contain no space (tokens never do), so a term with one space is a bigram."""

    def __init__(self, vocabulary: dict[str, int]):
        self.ids: dict[str, int] = {}
        unigrams: list[tuple[int, int]] = []
        bigrams: list[tuple[int, int, int]] = []
        for term, column in vocabulary.items():
            parts = term.split(" ")
            if len(parts) > 2 or "" in parts:
                raise ValueError(f"not a stem uni- or bigram: {term!r}")
            ids = [self.ids.setdefault(p, len(self.ids)) for p in parts]
            if len(ids) == 1:
                unigrams.append((ids[0], column))
            else:
                bigrams.append((ids[0], ids[1], column))
        n = self.n_stems = len(self.ids)
        self.unigram = np.full(n + 1, -1, dtype=_INDEX_DTYPE)  # slot n: stems outside the vocabulary
        for i, column in unigrams:
            self.unigram[i] = column
        keys = np.array([a * n + b for a, b, _ in bigrams], dtype=_INDEX_DTYPE)
        order = np.argsort(keys)
        self.bigram_keys = keys[order]
        self.bigram_columns = np.array([c for _, _, c in bigrams], dtype=_INDEX_DTYPE)[order]

    def lookup(self, docs) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every uni- and bigram of the posts' stems that is in the vocabulary;
        a post's n-grams in any order (``_count_matrix`` sorts)."""
        n = self.n_stems
        get = self.ids.get
        lengths = np.fromiter((len(d.stems) for d in docs), dtype=_INDEX_DTYPE, count=len(docs))
        ids = np.fromiter(chain.from_iterable(map(get, d.stems, repeat(n)) for d in docs),
                          dtype=_INDEX_DTYPE, count=int(lengths.sum()))
        row = np.repeat(np.arange(len(docs), dtype=_INDEX_DTYPE), lengths)
        uni = self.unigram[ids]
        keep = uni >= 0
        rows, columns = [row[keep]], [uni[keep]]
        if len(ids) > 1 and len(self.bigram_keys):
            a, b = ids[:-1], ids[1:]
            pair = (row[:-1] == row[1:]) & (a < n) & (b < n)  # same post, both stems known
            keys = a[pair] * n + b[pair]
            at = np.minimum(np.searchsorted(self.bigram_keys, keys), len(self.bigram_keys) - 1)
            found = self.bigram_keys[at] == keys
            rows.append(row[:-1][pair][found])
            columns.append(self.bigram_columns[at[found]])
        return np.concatenate(rows), np.concatenate(columns)


BATCH_MIN_POSTS = 64
"""From 64 posts on, the batch-wide numpy paths (one key sort, array look-up of stem n-grams)
are used; below, their fixed cost of a few dozen numpy calls outweighs what they save, so a
single ``score()`` takes the per-post path (the same numbers either way)."""


def _count_matrix(rows: np.ndarray, columns: np.ndarray, n_docs: int, n_features: int,
                  dtype) -> sparse.csr_matrix:
    """Term counts as a CSR matrix in canonical form (column indices sorted within each row, no
    duplicates): what ``csr_matrix(...).sum_duplicates()`` gives, but sorted in one numpy sort
    of ``row * n_features + column`` keys instead of row by row (about 3× faster).
    ``rows``/``columns``: the row and column of every occurrence of a term."""
    if n_docs < BATCH_MIN_POSTS:
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(n_docs + 1, dtype=_INDEX_DTYPE)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        X = sparse.csr_matrix((np.ones(len(columns), dtype=dtype), columns[order], indptr),
                              shape=(n_docs, n_features))
        X.sum_duplicates()
        return X
    keys = rows * n_features + columns
    if n_docs * n_features < 2**31:
        keys = keys.astype(np.int32)  # a smaller key sorts faster
    keys.sort()
    first = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(keys))).astype(dtype)
    row, col = np.divmod(keys[starts].astype(_INDEX_DTYPE), n_features)
    indptr = np.zeros(n_docs + 1, dtype=_INDEX_DTYPE)
    np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
    return sparse.csr_matrix((counts, col, indptr), shape=(n_docs, n_features))


class CompactTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` for our analyzers, with two changes that keep results identical:

    * the vocabulary is persisted as one newline-joined string instead of a dict of 100,000
      entries (a much smaller file that loads faster; terms never contain a newline);
    * ``transform`` counts features directly into a sparse matrix and, for ``CharNgrams``,
      caches each token's vocabulary indices, so a post costs one cache look-up per word
      instead of one per character n-gram.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_token_cache", None)
        state.pop("_stem_index", None)
        vocab = state.pop("vocabulary_", None)
        if vocab is not None:
            terms = [""] * len(vocab)
            for term, idx in vocab.items():
                terms[idx] = term
            state["vocabulary_terms_"] = "\n".join(terms)
        return state

    def __setstate__(self, state):
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        if terms is not None:
            state["vocabulary_"] = {t: i for i, t in enumerate(terms.split("\n"))}
        self.__dict__.update(state)

    def _char_index_cache(self) -> _TokenIndexCache:
        cache = self.__dict__.get("_token_cache")
        if cache is None or cache.vectorizer is not self or cache.vocabulary is not self.vocabulary_:
            cache = self.__dict__["_token_cache"] = _TokenIndexCache(self)
        return cache

    def _bigram_index(self) -> _StemBigramIndex | None:
        """The array form of the vocabulary for ``StemNgrams(1, 2)`` (built on first use, never
        persisted); None for other analyzers and vocabularies."""
        a = self.analyzer
        if not (isinstance(a, StemNgrams) and a.min_n == 1 and a.max_n == 2
                and self.input == "content"):
            return None
        index = self.__dict__.get("_stem_index")
        if index is None or index[0] is not self.vocabulary_:
            try:
                built = _StemBigramIndex(self.vocabulary_)
            except ValueError:  # a vocabulary not made by StemNgrams: the generic path
                built = None
            index = self.__dict__["_stem_index"] = (self.vocabulary_, built)
        return index[1]

    def transform(self, raw_documents):
        check_is_fitted(self, "vocabulary_")
        docs = list(raw_documents)
        n = len(docs)
        if isinstance(self.analyzer, CharNgrams):
            lookup = self._char_index_cache().lookup
            tokens = list(chain.from_iterable(doc.tokens for doc in docs))
            parts = list(map(lookup, tokens))
            size = np.dtype(_INDEX_DTYPE).itemsize
            per_token = np.fromiter(map(len, parts), dtype=_INDEX_DTYPE, count=len(parts)) // size
            per_doc = np.fromiter((len(doc.tokens) for doc in docs), dtype=_INDEX_DTYPE, count=n)
            token_row = np.repeat(np.arange(n, dtype=_INDEX_DTYPE), per_doc)
            rows = np.repeat(token_row, per_token)
            columns = np.frombuffer(b"".join(parts), dtype=_INDEX_DTYPE)
        elif n >= BATCH_MIN_POSTS and (index := self._bigram_index()) is not None:
            rows, columns = index.lookup(docs)
        else:
            vocab = self.vocabulary_
            analyzer = self.build_analyzer()
            per_doc_ids = [[i for i in map(vocab.get, analyzer(doc)) if i is not None] for doc in docs]
            lengths = np.fromiter(map(len, per_doc_ids), dtype=_INDEX_DTYPE, count=n)
            rows = np.repeat(np.arange(n, dtype=_INDEX_DTYPE), lengths)
            columns = np.fromiter(chain.from_iterable(per_doc_ids), dtype=_INDEX_DTYPE,
                                  count=int(lengths.sum()))
        X = _count_matrix(rows, columns, n, len(self.vocabulary_), self.dtype)
        return self._weight(X)

    def _weight(self, X):
        """``TfidfTransformer.transform`` without its input validation (same arithmetic:
        sublinear tf, idf, l2 norm); equality with scikit-learn is tested."""
        tf = self._tfidf
        if tf.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if hasattr(tf, "idf_"):
            X.data *= tf.idf_[X.indices].astype(X.dtype, copy=False)
        if tf.norm == "l2":
            from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

            inplace_csr_row_normalize_l2(X)  # what sklearn's normalize() runs, minus checks
        elif tf.norm is not None:
            from sklearn.preprocessing import normalize

            X = normalize(X, norm=tf.norm, copy=False)
        return X
