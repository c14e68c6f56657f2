"""MLR (ridge regression on one-hot targets) and RBF-SVM (one-vs-rest) on utterance statistics,
with optional mutual-information feature selection, all fitted on a training fold only."""
import numpy as np
from sklearn.feature_selection import mutual_info_classif
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.svm import SVC

from . import metrics


class Standardizer:
    def fit(self, X):
        self.mean = X.mean(0)
        self.std = X.std(0)
        self.std[self.std < 1e-8] = 1.0
        return self

    def __call__(self, X):
        return (X - self.mean) / self.std


class MLR:
    """Multivariate linear regression: W = argmin ||XW + b - Y||^2 + alpha ||W||^2, predict argmax.
    Probabilities for the service: softmax of the regression outputs (not calibrated)."""

    def __init__(self, n_classes, alpha=1.0, **_):
        self.k, self.alpha = n_classes, alpha

    def fit(self, X, y):
        Y = np.eye(self.k)[y]
        r = Ridge(alpha=self.alpha).fit(X, Y)
        self.W, self.b = r.coef_.T.copy(), r.intercept_.copy()
        return self

    def scores(self, X):
        return X @ self.W + self.b


class OvRSVM:
    """One RBF-SVC per class (class vs rest, class_weight='balanced'); scores = decision values,
    prediction = argmax; probabilities = softmax over decision values (documented, not Platt)."""

    def __init__(self, n_classes, C=10.0, gamma_scale=1.0, **_):
        self.k, self.C, self.gamma_scale = n_classes, C, gamma_scale

    def fit(self, X, y):
        self.gamma = float(self.gamma_scale / (X.shape[1] * X.var()))
        sq = (X ** 2).sum(1)
        K = np.exp(-self.gamma * np.maximum(sq[:, None] - 2 * X @ X.T + sq[None], 0))  # computed once
        self.models = []
        sv_idx = set()
        for c in range(self.k):
            yy = (y == c).astype(int)
            m = SVC(kernel="precomputed", C=self.C, class_weight="balanced").fit(K, yy)
            self.models.append(m)
            sv_idx.update(m.support_.tolist())
        idx = sorted(sv_idx)
        pos = {j: i for i, j in enumerate(idx)}
        self.sv = X[idx].copy()
        self.coef = np.zeros((len(idx), self.k))
        self.b = np.zeros(self.k)
        for c, m in enumerate(self.models):
            for j, a in zip(m.support_, m.dual_coef_[0]):
                self.coef[pos[j], c] = a
            self.b[c] = m.intercept_[0]
        return self

    def scores(self, X):
        d2 = (X ** 2).sum(1)[:, None] - 2 * X @ self.sv.T + (self.sv ** 2).sum(1)[None]
        K = np.exp(-self.gamma * np.maximum(d2, 0))
        return K @ self.coef + self.b


MODELS = {"mlr": MLR, "svm": OvRSVM}


def mi_ranking(X, y, seed):
    mi = mutual_info_classif(X, y, n_neighbors=3, random_state=seed)
    return np.argsort(-mi, kind="stable"), mi


def _grid(cfg):
    grid = [dict()]
    for key, values in cfg.get("grid", {}).items():
        grid = [dict(g, **{key: v}) for g in grid for v in values]
    return grid


def fit_fold(kind, cfg, X, y, groups, n_classes, seed):
    """Returns a fitted pipeline dict: standardizer, selected indices, model, chosen params."""
    std = Standardizer().fit(X)
    Xs = std(X)
    sel_cfg = cfg.get("selection")
    ranking = mi = None
    ks = [X.shape[1]]
    if sel_cfg:
        ranking, mi = mi_ranking(Xs, y, seed)
        ks = [k for k in sel_cfg["k"] if k < X.shape[1]] or [X.shape[1]]
    params = dict(cfg.get("params", {}))
    candidates = [(k, g) for k in ks for g in _grid(cfg)]
    best = candidates[0]
    if len(candidates) > 1:
        n_inner = min(3, len(set(groups)))
        scores = []
        for k, g in candidates:
            cols = ranking[:k] if ranking is not None else slice(None)
            preds, trues = [], []
            for itr, ite in GroupKFold(n_inner).split(Xs, y, groups):
                # inner folds re-standardise on their own training part
                s2 = Standardizer().fit(X[itr])
                m = MODELS[kind](n_classes, **dict(params, **g)).fit(s2(X[itr])[:, cols], y[itr])
                preds.append(m.scores(s2(X[ite])[:, cols]).argmax(1))
                trues.append(y[ite])
            scores.append(metrics.evaluate(np.concatenate(trues), np.concatenate(preds), list(range(n_classes)))["uar"])
        best = candidates[int(np.argmax(scores))]
    k, g = best
    cols = np.sort(ranking[:k]) if (ranking is not None and k < X.shape[1]) else np.arange(X.shape[1])
    model = MODELS[kind](n_classes, **dict(params, **g)).fit(Xs[:, cols], y)
    return {"std": std, "cols": cols, "model": model, "params": dict(params, **g), "k": int(len(cols)),
            "mi": mi}


def predict_scores(pipe, X):
    return pipe["model"].scores(pipe["std"](X)[:, pipe["cols"]])


def predict_probabilities(pipe, X):
    """Softmax of predict_scores, as the exported graphs' "probabilities" output."""
    sc = predict_scores(pipe, X)
    e = np.exp(sc - sc.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)
