"""Emotion-compensated speaker profiles.

A profile is the mean of a speaker's recordings' statistics, meant to stand for how the speaker sounds. That holds
only if the recordings cover the emotions in the shares the model was trained with (every training speaker's
profile is all of their recordings). A speaker whose earlier recordings are mostly sad gets a profile that sounds
sad, and centring on it hides sadness (training/results/profile_skew*.md: one-emotion profiles lose 12-25 UAR points).

Compensation subtracts what the profile's emotions are expected to add:

    profile = mean_r(x_r) - mean_r(p_r) @ offsets

offsets[k] is how far class k's recordings sit from their speaker's mean, averaged over the training speakers, and p_r
the posterior of recording r from a per-recording logistic regression on the same statistics (no profile needed, so
it cannot be misled by the skew it corrects). With every emotion in training shares, mean_r(p_r) @ offsets is near
zero; with one emotion only it is near that emotion's offset. Everything is fitted on training speakers only, and the
numbers go into the model card so that the service computes the same thing (SpeakerProfiles.Compensated in C#).
"""
import numpy as np

# Regularisation of the posterior model, fixed before the CNN-RNN was measured (an MLR probe showed C = 0.01, 0.1, 1
# within a point of each other).
C = 0.1


def fit(X, y, speakers, idx, n_classes, seed=0):
    """The compensation fitted on the recordings idx (training speakers): standardisation, logistic regression
    weights and bias, and the class offsets [K, D]."""
    from sklearn.linear_model import LogisticRegression
    idx = np.asarray(idx)
    Xt = X[idx].astype(np.float64)
    mean, scale = Xt.mean(0), Xt.std(0)
    scale = np.where(scale < 1e-6, 1.0, scale)
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=seed)
    lr.fit((Xt - mean) / scale, y[idx])
    weights = np.zeros((n_classes, X.shape[1]))
    bias = np.full(n_classes, -1e9)  # a class absent from training is never predicted
    weights[lr.classes_], bias[lr.classes_] = lr.coef_, lr.intercept_
    offsets, count = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes)
    for s in sorted(set(speakers[idx].tolist())):
        rows = idx[speakers[idx] == s]
        m = X[rows].astype(np.float64).mean(0)
        for k in range(n_classes):
            rk = rows[y[rows] == k]
            if len(rk):
                offsets[k] += X[rk].astype(np.float64).mean(0) - m
                count[k] += 1
    offsets /= np.maximum(count, 1)[:, None]
    return {"mean": mean, "scale": scale, "weights": weights, "bias": bias, "offsets": offsets}


def fit_fold(S, corpus, fold, n_own, seed=0):
    """A fold's compensation, fitted on its non-test speakers' own recordings: the rows below n_own, not the perturbed
    copies or other corpora merged after them."""
    tr = np.concatenate([fold["train"], fold["val"]])
    return fit(S, corpus.y, corpus.speakers, tr[tr < n_own], len(corpus.labels), seed)


def posteriors(comp, R):
    z = ((np.asarray(R, np.float64) - comp["mean"]) / comp["scale"]) @ comp["weights"].T + comp["bias"]
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def compensated(comp, R):
    """The compensated profile of the recordings' statistics R [n, D]. With comp["gate"] only when the mean posterior
    of some emotion exceeds it (the profile reads as dominated by that emotion); the plain mean otherwise."""
    R = np.asarray(R, np.float64)
    p = posteriors(comp, R).mean(0)
    if p.max() <= comp.get("gate", 0.0):
        return R.mean(0)
    return R.mean(0) - p @ comp["offsets"]


def with_gate(comp, gate):
    return dict(comp, gate=float(gate or 0.0))


def gate_of(setting):
    """The gate of a config's speaker_norm.compensate: true (always compensate, 0) or {"gate": g}."""
    return float(setting.get("gate", 0.0)) if isinstance(setting, dict) else 0.0


def to_card(comp):
    """JSON-ready (float32-rounded) for the model card's speakerAdaptation.compensation."""
    f = lambda a: [float(np.float32(v)) for v in np.ravel(a)]  # noqa: E731
    return {"method": "profile minus the mean per-recording posterior (logistic regression on the standardised "
                      "statistics) times the classes' mean offsets from their speaker's mean (training speakers)",
            "gate": float(comp.get("gate", 0.0)),
            "mean": f(comp["mean"]), "scale": f(comp["scale"]), "bias": f(comp["bias"]),
            "weights": [f(r) for r in comp["weights"]], "offsets": [f(r) for r in comp["offsets"]]}


def from_card(card):
    return dict({k: np.asarray(card[k], np.float64) for k in ("mean", "scale", "weights", "bias", "offsets")},
                gate=float(card.get("gate", 0.0)))
