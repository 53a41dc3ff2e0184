"""Inference without scikit-learn: a fitted classifier as plain numpy arrays.

scikit-learn's ``predict_proba`` validates its input and walks each tree in a separate call, and
importing scikit-learn, scipy and skops costs a second of CPU before the first post. Here the
fitted ``EscalationClassifier`` becomes plain arrays (``inference_arrays``): the vectorizers'
vocabularies and idf, the linear heads' coefficients, all trees of all boosters as one node
table, the isotonic calibrators' knots. ``InferenceModel`` scores from them with numpy and the
standard library only, with the same arithmetic in the same order as the scikit-learn/scipy
path, so the numbers are the same to the last bit:

* tf-idf: sublinear tf and idf in float32, the l2 norm summed sequentially per row in double
  (``sklearn.utils.sparsefuncs_fast.inplace_csr_row_normalize_l2``);
* linear heads: each row's products added in column order from 0.0, as scipy's ``csr_matvecs``;
* boosters: the trees walked level by level with numpy, ``WALK_MAX_POSTS`` posts at a time,
  and added in order ((0 + baseline) + t1) + t2 …, the order scikit-learn adds in;
* the logistic function as ``1 / (1 + exp(-x))`` with libm's ``exp`` (``math.exp``), which is
  what ``scipy.special.expit`` computes; isotonic calibration as ``np.interp``.

The model directory stores these arrays as ``inference.npz`` (read with ``allow_pickle=False``:
no code runs) next to the skops file, which stays the source of truth for retraining and
inspection; ``tests/test_compiled.py`` and ``tests/test_shipped_model.py`` check that both give
identical numbers.
"""

from __future__ import annotations

import json
import math
from array import array
from functools import lru_cache
from itertools import chain

import numpy as np

from .schema import CUE_FAMILIES, HEADS
from .text.style import STYLE_FEATURES

WALK_MAX_POSTS = 64
"""The trees are walked for up to 64 posts at a time: the walk's arrays (posts × trees) stay
small, and chunks of 64 were the fastest measured (bundled model, 4,096 posts: ~55 µs a post;
scikit-learn's compiled per-tree predictors, which this replaced for large batches, took ~5×
as long and importing scikit-learn added ~150 MB to a batch's peak memory). Each post's sum
does not depend on the chunk it is walked in."""

INFERENCE_FORMAT = 1
_INDEX_DTYPE = np.int64
_FAMILY_INDEX = {f: i for i, f in enumerate(CUE_FAMILIES)}

DECISION_THRESHOLD = 0.5
"""A head decides "yes" when its probability, for the stated base rates, is at least 0.5: more
likely than not. The level rule (``decide_levels``) and triage's publicity-pressure rule use this
one number; a team that wants more or fewer alarms states its base rates instead."""

PROBABILITY_FLOOR = 0.001
"""Calibrated probabilities are kept within [0.001, 0.999]: isotonic regression returns hard
0/1 in empty bins, and no text model is ever certain."""


def _floored(p: np.ndarray) -> np.ndarray:
    return np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def shift_base_rate(p: np.ndarray, trained: float, target: float) -> np.ndarray:
    """Probabilities calibrated for a base rate ``trained`` → the same evidence at base rate
    ``target`` (Bayes' rule: the odds scale by the ratio of the prior odds). Kept within the
    probability floor.

    >>> float(shift_base_rate(np.array([0.5]), 0.5, 0.01)[0])
    0.01
    """
    if trained == target:
        return p
    r1, r0 = target / trained, (1 - target) / (1 - trained)
    p = np.asarray(p, dtype=np.float64)
    return _floored(p * r1 / (p * r1 + (1 - p) * r0))


def decide_levels(probs: dict[str, np.ndarray], thresholds: dict[str, float]) -> np.ndarray:
    """Level index per post from the calibrated head probabilities and the thresholds.

    Highest level first: critical when ``critical`` or ``publicity_pressure`` passes its
    threshold (publicity pressure is critical by the guideline), elevated when ``escalation``
    passes, low when ``ge_low`` passes, else none.
    """
    n = len(probs["escalation"])
    out = np.zeros(n, dtype=int)
    out[probs["ge_low"] >= thresholds["ge_low"]] = 1
    out[probs["escalation"] >= thresholds["escalation"]] = 2
    crit = (probs["critical"] >= thresholds["critical"]) | (
        probs["publicity_pressure"] >= thresholds["publicity_pressure"]
    )
    out[crit] = 3
    return out


NGRAM_CACHE_SIZE = 16_384
"""``_token_char_ngrams`` caches the character n-grams of up to 16,384 tokens (LRU). Scoring
does not call it (``TfidfArrays`` caches vocabulary indices instead); fitting and the
scikit-learn path (``CharNgrams``) do. Measured (tracemalloc, distinct real tokens, n = 3..5):
~1,700 bytes an entry — each n-gram is a string of its own — so ~28 MB when full."""

CHAR_INDEX_CACHE_SIZE = 32_768
"""Per character vectorizer, ``TfidfArrays`` caches the vocabulary columns of up to 32,768
tokens (LRU; words are Zipfian, so nearly every look-up hits). Measured (tracemalloc, distinct
real tokens, the bundled model): ~330 bytes an entry with its key, so ~11 MB when full."""


@lru_cache(maxsize=NGRAM_CACHE_SIZE)
def _token_char_ngrams(token: str, min_n: int, max_n: int) -> tuple[str, ...]:
    w = f" {token.casefold()} "
    return tuple(w[i : i + n] for n in range(min_n, max_n + 1) for i in range(len(w) - n + 1))


def stem_ngrams(stems, min_n: int, max_n: int) -> list[str]:
    """The stemmed word n-grams (``min_n``..``max_n``) of a post, unigrams first."""
    out = list(stems) if min_n <= 1 else []
    for n in range(max(2, min_n), max_n + 1):
        # the n-grams stems[i : i + n] in order, as tuples of n shifted views
        out.extend(map(" ".join, zip(*(stems[k:] for k in range(n)), strict=False)))
    return out


def cue_matrix(X: list) -> np.ndarray:
    """Per family: weighted count of reasons, count of negated reasons (2 × families)."""
    n = len(CUE_FAMILIES)
    out = np.zeros((len(X), 2 * n), dtype=np.float64)
    for row, a in enumerate(X):
        for r in a.reasons:
            col = _FAMILY_INDEX[r.cue]
            if r.negated:
                out[row, n + col] += 1.0
            else:
                out[row, col] += r.weight
    return out


def style_matrix(X: list) -> np.ndarray:
    out = np.zeros((len(X), len(STYLE_FEATURES)), dtype=np.float64)
    for row, a in enumerate(X):
        if a.style:
            out[row] = a.style
    return out


def sequential_row_sums(values: np.ndarray, indptr: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per row of a CSR layout, ``start[row]`` plus the row's ``values`` (shape (nnz, k)) added
    one after the other in order — the order scipy's and scikit-learn's C loops add in (numpy's
    ``sum`` adds pairwise, which can differ in the last bit)."""
    n = len(indptr) - 1
    acc = np.array(start, dtype=np.float64, copy=True)
    lengths = np.diff(indptr)
    longest = int(lengths.max()) if n else 0
    if longest == 0:
        return acc
    if n * longest * values.shape[1] <= 1 << 20:
        # rows side by side, padded with zeros at the end (adding 0.0 changes no sum that
        # starts from +0.0), each added along its row by one cumulative sum
        grid = np.zeros((n, longest + 1, values.shape[1]))
        grid[:, 0] = acc
        at = np.arange(len(values)) - np.repeat(indptr[:-1], lengths) + 1
        grid[np.repeat(np.arange(n), lengths), at] = values
        return np.cumsum(grid, axis=1)[:, -1]
    order = np.argsort(-lengths, kind="stable")  # longest rows first: the active rows are a prefix
    starts = indptr[:-1][order]
    sorted_lengths = lengths[order]
    out = acc[order]
    for k in range(longest):
        m = int(np.searchsorted(-sorted_lengths, -k, side="left"))  # rows longer than k
        out[:m] += values[starts[:m] + k]
    acc[order] = out
    return acc


def expit(x: np.ndarray) -> np.ndarray:
    """``scipy.special.expit`` to the bit: ``1 / (1 + exp(-x))`` with libm's ``exp``."""
    x = np.asarray(x, dtype=np.float64)
    exp = math.exp
    return np.array([1.0 / (1.0 + exp(-v)) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)


class TfidfArrays:
    """A fitted ``CompactTfidfVectorizer`` for our analyzers: vocabulary, idf and options."""

    def __init__(self, terms: list[str], idf: np.ndarray | None, *, kind: str, min_n: int,
                 max_n: int, sublinear_tf: bool, norm: str | None):
        if kind not in ("stem", "char") or norm not in ("l2", None):
            raise ValueError(f"cannot compile a {kind} vectorizer with norm {norm!r}")
        self.terms = terms
        self.vocabulary = {t: i for i, t in enumerate(terms)}
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        self.idf32 = None if self.idf is None else self.idf.astype(np.float32)
        self.kind, self.min_n, self.max_n = kind, min_n, max_n
        self.sublinear_tf, self.norm = sublinear_tf, norm
        get = self.vocabulary.get
        ngrams = _token_char_ngrams.__wrapped__

        def indices(token: str) -> bytes:
            return array("q", [i for g in ngrams(token, min_n, max_n) if (i := get(g)) is not None]).tobytes()

        self._char_indices = lru_cache(maxsize=CHAR_INDEX_CACHE_SIZE)(indices)

    @classmethod
    def from_vectorizer(cls, vec) -> TfidfArrays:
        from .features import CharNgrams, StemNgrams

        a = vec.analyzer
        kind = "stem" if isinstance(a, StemNgrams) else "char" if isinstance(a, CharNgrams) else "?"
        terms = [""] * len(vec.vocabulary_)
        for t, i in vec.vocabulary_.items():
            terms[i] = t
        tf = vec._tfidf
        if np.dtype(vec.dtype) != np.float32 or not hasattr(tf, "idf_"):
            raise ValueError("only float32 tf-idf vectorizers with idf can be compiled")
        return cls(terms, np.asarray(tf.idf_), kind=kind, min_n=a.min_n, max_n=a.max_n,
                   sublinear_tf=bool(tf.sublinear_tf), norm=tf.norm)

    def owner_pairs(self, a) -> tuple[np.ndarray, np.ndarray]:
        """(token position, column) for every vocabulary n-gram of one analysis and each token it
        was counted from: a stem n-gram's every word at every occurrence (repeats kept), a
        character n-gram's every token that contains it, once per token (character pairs
        sorted by token, then column)."""
        if self.kind == "char":
            parts = list(map(self._char_indices, a.tokens))
            per_token = np.fromiter(map(len, parts), dtype=_INDEX_DTYPE, count=len(parts)) // 8
            columns = np.frombuffer(b"".join(parts), dtype=_INDEX_DTYPE)
            owner = np.repeat(np.arange(len(parts), dtype=_INDEX_DTYPE), per_token)
            nf = len(self.terms)
            owner, columns = np.divmod(np.unique(owner * nf + columns), nf)
            return owner, columns
        get = self.vocabulary.get
        stems = a.stems
        owners: list[int] = []
        cols: list[int] = []
        for n in range(self.min_n, self.max_n + 1):
            for i in range(len(stems) - n + 1):
                c = get(stems[i] if n == 1 else " ".join(stems[i:i + n]))
                if c is not None:
                    owners.extend(range(i, i + n))
                    cols.extend([c] * n)
        return np.asarray(owners, dtype=_INDEX_DTYPE), np.asarray(cols, dtype=_INDEX_DTYPE)

    def transform(self, docs: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """tf-idf rows in CSR form ``(indptr, indices, data)``: column indices sorted within
        each row, float32 values — ``CompactTfidfVectorizer.transform``'s matrix."""
        n = len(docs)
        nf = len(self.terms)
        if self.kind == "char":
            parts = list(map(self._char_indices, chain.from_iterable(d.tokens for d in docs)))
            per_token = np.fromiter(map(len, parts), dtype=_INDEX_DTYPE, count=len(parts)) // 8
            per_doc = np.fromiter((len(d.tokens) for d in docs), dtype=_INDEX_DTYPE, count=n)
            rows = np.repeat(np.repeat(np.arange(n, dtype=_INDEX_DTYPE), per_doc), per_token)
            columns = np.frombuffer(b"".join(parts), dtype=_INDEX_DTYPE)
        else:
            get = self.vocabulary.get
            ids = [[i for i in map(get, stem_ngrams(d.stems, self.min_n, self.max_n)) if i is not None]
                   for d in docs]
            lengths = np.fromiter(map(len, ids), dtype=_INDEX_DTYPE, count=n)
            rows = np.repeat(np.arange(n, dtype=_INDEX_DTYPE), lengths)
            columns = np.fromiter(chain.from_iterable(ids), dtype=_INDEX_DTYPE, count=int(lengths.sum()))
        keys, counts = np.unique(rows * nf + columns, return_counts=True)
        row, indices = np.divmod(keys, nf)
        indptr = np.zeros(n + 1, dtype=_INDEX_DTYPE)
        np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
        data = counts.astype(np.float32)
        if self.sublinear_tf:
            np.log(data, data)
            data += 1.0
        if self.idf32 is not None:
            data *= self.idf32[indices]
        if self.norm == "l2" and len(data):
            sq = (data * data).astype(np.float64)[:, None]
            sums = np.sqrt(sequential_row_sums(sq, indptr, np.zeros((n, 1)))[:, 0])
            per_entry = np.repeat(sums, np.diff(indptr))
            live = per_entry != 0.0
            data[live] = (data[live].astype(np.float64) / per_entry[live]).astype(np.float32)
        return indptr, indices, data


def _forest_nodes(boosters: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(nodes, tree sizes, tree owners, baselines) of binary boosters: every tree's node records
    (scikit-learn's ``TreePredictor.nodes``), concatenated in the order they are added."""
    nodes, sizes, owners = [], [], []
    baselines = np.zeros(len(boosters))
    for h, booster in enumerate(boosters):
        if getattr(booster, "n_trees_per_iteration_", 1) != 1:
            raise ValueError("only binary boosters can be compiled")
        baselines[h] = float(np.ravel(booster._baseline_prediction)[0])
        for per_iteration in booster._predictors:
            tree = per_iteration[0].nodes
            if tree["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            nodes.append(tree)
            sizes.append(len(tree))
            owners.append(h)
    return (np.concatenate(nodes), np.asarray(sizes, dtype=np.int64),
            np.asarray(owners, dtype=np.int64), baselines)


class CompiledForest:
    """Binary ``HistGradientBoostingClassifier`` s as one table of nodes. Built from the
    boosters, or from ``(nodes, sizes, owners, baselines)`` as stored in ``inference.npz``."""

    def __init__(self, boosters: list | None = None, *, arrays: tuple | None = None):
        nodes, sizes, owners, baselines = _forest_nodes(list(boosters or ())) if arrays is None else arrays
        self.sizes, self.owners = np.asarray(sizes), np.asarray(owners)
        self.baselines = np.asarray(baselines, dtype=np.float64)
        offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        shift = np.repeat(offsets, self.sizes)
        self.roots = offsets
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        self.left = nodes["left"].astype(np.int64) + shift
        self.right = nodes["right"].astype(np.int64) + shift
        self.leaf = nodes["is_leaf"].astype(bool)
        self.value = nodes["value"].astype(np.float64)
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.tree_columns = [np.flatnonzero(self.owners == h) for h in range(len(self.baselines))]
        # a leaf points to itself, so walking further is a no-op
        idx = np.arange(len(nodes))
        self.left[self.leaf] = idx[self.leaf]
        self.right[self.leaf] = idx[self.leaf]
        self.max_depth = int(nodes["depth"].max()) if len(nodes) else 0
        # the walk without missing values (``_walk_complete``): children side by side (node
        # 2i → left, 2i + 1 → right), and whether no split has a NaN threshold (then "not
        # x <= t" is "x > t" for every x that is not NaN)
        self.children = np.stack([self.left, self.right], axis=1).ravel()
        self.nan_free_splits = not np.isnan(self.threshold[~self.leaf]).any()
        # each booster's trees one contiguous block of the same size: the sums of all boosters
        # in one cumulative sum
        t = len(self.sizes) // max(len(self.baselines), 1)
        self.equal_blocks = bool(len(self.baselines)) and all(
            np.array_equal(cols, np.arange(h * t, (h + 1) * t)) for h, cols in enumerate(self.tree_columns))

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Raw scores, shape (n_posts, n_boosters): baseline plus the trees, added in order."""
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        if n <= WALK_MAX_POSTS:
            return self._walk(X)
        return np.concatenate([self._walk(X[i:i + WALK_MAX_POSTS]) for i in range(0, n, WALK_MAX_POSTS)])

    def _walk(self, X: np.ndarray) -> np.ndarray:
        n = X.shape[0]
        if self.nan_free_splits and not np.isnan(X).any():
            node = self._walk_complete(X)
        else:
            node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
            rows = np.arange(n)[:, None]
            for _ in range(self.max_depth):
                x = X[rows, self.feature[node]]
                go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
                node = np.where(go_left, self.left[node], self.right[node])
        values = self.value.take(node)
        if self.equal_blocks:
            h = len(self.baselines)
            seq = np.zeros((n, h, 2 + values.shape[1] // h))
            seq[:, :, 1] = self.baselines
            seq[:, :, 2:] = values.reshape(n, h, -1)
            return np.cumsum(seq, axis=2)[:, :, -1]  # ((0 + baseline) + t1) + t2 …, as sklearn adds
        out = np.empty((n, len(self.baselines)))
        for h, cols in enumerate(self.tree_columns):
            seq = np.concatenate([np.zeros((n, 1)), np.full((n, 1), self.baselines[h]), values[:, cols]], axis=1)
            out[:, h] = np.cumsum(seq, axis=1)[:, -1]  # ((0 + baseline) + t1) + t2 …, as sklearn adds
        return out

    def _walk_complete(self, X: np.ndarray) -> np.ndarray:
        """The leaf each tree reaches for each row of ``X`` (no NaN in it, none in a split):
        the same routes as the general walk, with fewer array operations a level."""
        n, d = X.shape
        flat = np.ascontiguousarray(X).ravel()
        base = (np.arange(n, dtype=np.int64) * d)[:, None]
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        feature, threshold, children = self.feature, self.threshold, self.children
        for _ in range(self.max_depth):
            right = flat.take(feature.take(node) + base) > threshold.take(node)
            node = children.take(node * 2 + right)
        return node

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return expit(self.raw(X))


class CompiledLinear:
    """Several binary logistic regressions as one coefficient matrix: scores = X · W + b."""

    def __init__(self, models: list | None = None, *, coef=None, intercept=None):
        if models is not None:
            coef = np.column_stack([np.ravel(m.coef_) for m in models])
            intercept = np.array([float(np.ravel(m.intercept_)[0]) for m in models])
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    def decision(self, X) -> np.ndarray:
        """``X``: a scipy sparse matrix, or CSR parts ``(indptr, indices, data, column offset)``
        side by side (one per vectorizer); each row's products are added in column order from
        0.0, as scipy's ``csr_matvecs`` adds them."""
        if not isinstance(X, list):
            return np.asarray(X @ self.coef) + self.intercept
        acc = np.zeros((len(X[0][0]) - 1, self.coef.shape[1]))
        for indptr, indices, data, offset in X:
            values = data.astype(np.float64)[:, None] * self.coef[offset + indices]
            acc = sequential_row_sums(values, indptr, acc)
        return acc + self.intercept


class CompiledIsotonic:
    """``IsotonicRegression(out_of_bounds="clip").predict`` as ``np.interp``."""

    def __init__(self, iso=None, *, x=None, y=None):
        if iso is not None:
            x, y = iso.X_thresholds_, iso.y_thresholds_
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return np.interp(p, self.x, self.y)


def inference_arrays(classifier) -> dict[str, np.ndarray]:
    """A fitted ``EscalationClassifier`` as the arrays of ``inference.npz`` (numbers, strings as
    UTF-8 bytes, one JSON header): everything ``InferenceModel`` needs, nothing else."""
    linear = [classifier.text_models_[h] for h in HEADS]
    hostility = getattr(classifier, "hostility_model_", None)
    if hostility is not None:
        linear.append(hostility)
    lin = CompiledLinear(linear)
    nodes, sizes, owners, baselines = _forest_nodes([classifier.boosters_[h] for h in HEADS])
    out: dict[str, np.ndarray] = {
        "linear_coef": lin.coef, "linear_intercept": lin.intercept,
        "forest_nodes": nodes, "forest_sizes": sizes, "forest_owners": owners,
        "forest_baselines": baselines,
    }
    vectorizers = []
    for k, vec in enumerate(classifier.vectorizers_):
        t = TfidfArrays.from_vectorizer(vec)
        vectorizers.append({"kind": t.kind, "min_n": t.min_n, "max_n": t.max_n,
                            "sublinear_tf": t.sublinear_tf, "norm": t.norm})
        if any("\n" in term for term in t.terms):
            raise ValueError("a vocabulary term contains a newline")
        out[f"vec{k}_terms"] = np.frombuffer("\n".join(t.terms).encode("utf-8"), dtype=np.uint8)
        assert t.idf is not None  # from_vectorizer requires idf
        out[f"vec{k}_idf"] = t.idf
    for j, h in enumerate(HEADS):
        iso = CompiledIsotonic(classifier.calibrators_[h])
        out[f"iso{j}_x"], out[f"iso{j}_y"] = iso.x, iso.y
    rates = getattr(classifier, "training_rates_", None)
    meta = {"format": INFERENCE_FORMAT, "heads": list(HEADS), "vectorizers": vectorizers,
            "hostility": hostility is not None, "training_rates": dict(rates) if rates else None,
            "n_dense": int(classifier.boosters_[HEADS[0]].n_features_in_)}
    out["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    return out


class TfidfRows:
    """The CSR tf-idf matrices of a batch, one per vectorizer (``InferenceModel``'s sparse
    parts). Each row is what transforming its analysis alone gives: a row's values depend on
    that row only."""

    def __init__(self, parts: list):
        self.parts = parts

    def row(self, j: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Row ``j`` of every vectorizer as ``(indices, data)``."""
        out = []
        for indptr, indices, data, _ in self.parts:
            a, b = int(indptr[j]), int(indptr[j + 1])
            out.append((indices[a:b], data[a:b]))
        return out


class InferenceModel:
    """The scoring half of an ``EscalationClassifier``, over plain arrays (see the module
    docstring): ``predict_heads``, ``token_contributions`` and ``training_rates_`` give what the
    classifier's own do, to the bit."""

    def __init__(self, arrays):
        meta = json.loads(bytes(np.asarray(arrays["meta"], dtype=np.uint8)).decode("utf-8"))
        if meta.get("format") != INFERENCE_FORMAT or list(meta.get("heads", ())) != list(HEADS):
            raise ValueError(f"inference arrays of format {meta.get('format')!r} for heads "
                             f"{meta.get('heads')!r}; this shitstorm reads format {INFERENCE_FORMAT}")
        self.meta = meta
        self.vectorizers = []
        for k, v in enumerate(meta["vectorizers"]):
            terms = bytes(np.asarray(arrays[f"vec{k}_terms"], dtype=np.uint8)).decode("utf-8").split("\n")
            self.vectorizers.append(TfidfArrays(terms, arrays[f"vec{k}_idf"], kind=v["kind"], min_n=v["min_n"],
                                                max_n=v["max_n"], sublinear_tf=v["sublinear_tf"],
                                                norm=v["norm"]))
        self.offsets = np.cumsum([0] + [len(v.terms) for v in self.vectorizers]).tolist()
        self.linear = CompiledLinear(coef=arrays["linear_coef"], intercept=arrays["linear_intercept"])
        self.forest = CompiledForest(arrays=(arrays["forest_nodes"], arrays["forest_sizes"],
                                             arrays["forest_owners"], arrays["forest_baselines"]))
        self.calibrators = [CompiledIsotonic(x=arrays[f"iso{j}_x"], y=arrays[f"iso{j}_y"])
                            for j in range(len(HEADS))]
        rates = meta.get("training_rates")
        self.training_rates_ = dict(rates) if rates else None
        if self.linear.coef.shape != (self.offsets[-1], len(HEADS) + int(meta["hostility"])):
            raise ValueError("inference arrays: coefficients do not match the vocabularies")

    @classmethod
    def from_classifier(cls, classifier) -> InferenceModel:
        return cls(inference_arrays(classifier))

    def _sparse_parts(self, X: list) -> list:
        return [(*v.transform(X), off) for v, off in zip(self.vectorizers, self.offsets, strict=False)]

    def decision(self, X: list) -> np.ndarray:
        """The linear heads' scores (and the hostility head's, last), shape (n, heads)."""
        return self.linear.decision(self._sparse_parts(X))

    def dense(self, X: list, text_scores: np.ndarray) -> np.ndarray:
        return np.hstack([cue_matrix(X), style_matrix(X), text_scores])

    def predict_heads(self, X) -> dict[str, np.ndarray]:
        """Calibrated probability of every head for each analysis."""
        return self.predict_heads_rows(X)[0]

    def predict_heads_rows(self, X) -> tuple[dict[str, np.ndarray], TfidfRows]:
        """``predict_heads`` and the tf-idf rows it was computed from, which
        ``token_contributions`` can take instead of transforming an analysis again."""
        X = list(X)
        if not X:
            return {h: np.zeros(0) for h in HEADS}, TfidfRows([])
        parts = self._sparse_parts(X)
        raw = self.forest.probabilities(self.dense(X, self.linear.decision(parts)))
        return ({head: _floored(self.calibrators[j](raw[:, j])) for j, head in enumerate(HEADS)},
                TfidfRows(parts))

    def token_contributions(self, analysis, head: str,
                            rows: list[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
        """How much each token adds to the linear text head ``head``'s score: every n-gram
        feature's ``coefficient × tf-idf value``, shared equally among the tokens it was counted
        from (see ``EscalationClassifier.token_contributions``). Each token's shares are added
        in column order, one after the other, as a per-term loop over the tokens adds them.
        ``rows``: the analysis's own tf-idf row per vectorizer, ``(indices, data)`` (from
        ``TfidfRows.row``, the same numbers a transform of this analysis alone gives)."""
        tokens = analysis.tokens
        if not tokens:
            return np.zeros(0)
        coef = self.linear.coef[:, HEADS.index(head)]
        acc = np.zeros((len(tokens), 1))
        for k, (vec, offset) in enumerate(zip(self.vectorizers, self.offsets, strict=False)):
            if rows is None:
                _, indices, data = vec.transform([analysis])
            else:
                indices, data = rows[k]
            owner, column = vec.owner_pairs(analysis)
            if not len(column):
                continue
            if vec.kind != "char":  # character pairs come sorted so already
                order = np.lexsort((column, owner))  # by token, then column: the order of the adds
                owner, column = owner[order], column[order]
            at = np.searchsorted(indices, column)  # each pair's entry in the row
            counts = np.bincount(at, minlength=len(indices))  # tokens sharing each entry
            x = data[at].astype(np.float64)
            share = coef[offset + column] * x / counts[at].astype(np.float64)
            indptr = np.zeros(len(tokens) + 1, dtype=_INDEX_DTYPE)
            np.cumsum(np.bincount(owner, minlength=len(tokens)), out=indptr[1:])
            acc = sequential_row_sums(share[:, None], indptr, acc)
        return acc[:, 0]
