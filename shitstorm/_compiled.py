"""Fast inference over fitted scikit-learn objects, derived at load time and never persisted.

scikit-learn's ``predict_proba`` validates its input and walks each tree in a separate call;
for one post that overhead (≈ 10 ms for four boosters of 120 trees) dwarfs the arithmetic. Here
the trees of all boosters are flattened into one node table and walked level by level for all
posts and trees at once with numpy; logistic regressions become a sparse dot product and the
isotonic calibrators ``np.interp``. The fitted scikit-learn objects stay the source of truth:
``tests/test_compiled.py`` checks the parts against scikit-learn's own predictions (the trees,
either way, and the calibrators bit for bit; the linear heads and the whole chain to 1e-9).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

WALK_MAX_POSTS = 64
"""Up to 64 posts the numpy walk is faster (no per-tree call overhead); above it scikit-learn's
compiled per-tree predictors are (their per-call overhead is spread over many rows). Both add
the trees in the same order, so the numbers are identical either way."""


class CompiledForest:
    """Several binary ``HistGradientBoostingClassifier`` s as one table of nodes."""

    def __init__(self, boosters: list):
        feature, threshold, left, right, leaf, value, missing_left = [], [], [], [], [], [], []
        roots, owner = [], []
        offset = max_depth = 0
        self.boosters = list(boosters)
        self.baselines = np.zeros(len(boosters))
        for h, booster in enumerate(boosters):
            if getattr(booster, "n_trees_per_iteration_", 1) != 1:
                raise ValueError("only binary boosters can be compiled")
            self.baselines[h] = float(np.ravel(booster._baseline_prediction)[0])
            for per_iteration in booster._predictors:
                nodes = per_iteration[0].nodes
                if nodes["is_categorical"].any():
                    raise ValueError("categorical splits are not supported")
                roots.append(offset)
                max_depth = max(max_depth, int(nodes["depth"].max()))
                owner.append(h)
                feature.append(nodes["feature_idx"].astype(np.int64))
                threshold.append(nodes["num_threshold"].astype(np.float64))
                left.append(nodes["left"].astype(np.int64) + offset)
                right.append(nodes["right"].astype(np.int64) + offset)
                leaf.append(nodes["is_leaf"].astype(bool))
                value.append(nodes["value"].astype(np.float64))
                missing_left.append(nodes["missing_go_to_left"].astype(bool))
                offset += len(nodes)
        self.feature = np.concatenate(feature)
        self.threshold = np.concatenate(threshold)
        self.left = np.concatenate(left)
        self.right = np.concatenate(right)
        self.leaf = np.concatenate(leaf)
        self.value = np.concatenate(value)
        self.missing_left = np.concatenate(missing_left)
        self.roots = np.asarray(roots, dtype=np.int64)
        owners = np.asarray(owner)
        self.tree_columns = [np.flatnonzero(owners == h) for h in range(len(boosters))]
        # a leaf points to itself, so walking further is a no-op
        idx = np.arange(offset)
        self.left[self.leaf] = idx[self.leaf]
        self.right[self.leaf] = idx[self.leaf]
        self.max_depth = max_depth

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Raw scores, shape (n_posts, n_boosters): baseline plus the trees, added in order."""
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] > WALK_MAX_POSTS:
            try:
                return np.column_stack([b._raw_predict(X, n_threads=1)[:, 0] for b in self.boosters])
            except (AttributeError, TypeError):  # a scikit-learn without these internals
                pass
        n = X.shape[0]
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.max_depth):
            x = X[rows, self.feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(go_left, self.left[node], self.right[node])
        values = self.value[node]
        out = np.empty((n, len(self.boosters)))
        for h, cols in enumerate(self.tree_columns):
            seq = np.concatenate([np.zeros((n, 1)), np.full((n, 1), self.baselines[h]), values[:, cols]], axis=1)
            out[:, h] = np.cumsum(seq, axis=1)[:, -1]  # ((0 + baseline) + t1) + t2 …, as sklearn adds
        return out

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return expit(self.raw(X))


class CompiledLinear:
    """Several binary logistic regressions as one coefficient matrix: scores = X · W + b."""

    def __init__(self, models: list):
        self.coef = np.column_stack([np.ravel(m.coef_) for m in models])
        self.intercept = np.array([float(np.ravel(m.intercept_)[0]) for m in models])

    def decision(self, X) -> np.ndarray:
        return np.asarray(X @ self.coef) + self.intercept


class CompiledIsotonic:
    """``IsotonicRegression(out_of_bounds="clip").predict`` as ``np.interp``."""

    def __init__(self, iso):
        self.x = np.asarray(iso.X_thresholds_, dtype=np.float64)
        self.y = np.asarray(iso.y_thresholds_, dtype=np.float64)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return np.interp(p, self.x, self.y)
