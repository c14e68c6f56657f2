"""Utterance-level statistics for the MLR and SVM baselines.

Computed from the C# export only, and rebuilt op-for-op inside the baselines' ONNX graphs
(training/onnx_stats.py), so C# just feeds the raw feature streams.

MFCC block (65): over VAD speech frames (all frames if fewer than 2 are speech):
    mean, std, min, max of the 13 MFCCs; std of their deltas d[t] = (c[t+1]-c[t-1])/2 (edge-padded,
    deltas computed over all frames, std over speech frames).
MS block (S): the C# extractor's utterance statistics from ms_stats.npy as they are (for the C#
    recipe: per-cell mean and std over frames of the A*M log energies, then per modulation band the
    centroid, flatness and crest of the long-term acoustic profile: S = 2AM + 3M).
Prosody block (P, optional: config "prosody": true): the C# extractor's prosody functionals from
    prosody_stats.npy as they are (F0, voicing, energy, low-band share and rhythm over speech frames; names
    in index.json prosody.statisticNames). Appended after the others.
All std are population std (divide by n).
"""
import numpy as np


def _mask(vad):
    m = vad.astype(np.float64)
    if m.sum() < 2:
        m = np.ones_like(m)
    return m[:, None]


def mfcc_block(mfcc, vad):
    x = mfcc.astype(np.float64)
    m = _mask(vad)
    n = m.sum()
    mean = (x * m).sum(0) / n
    std = np.sqrt((((x - mean) * m) ** 2).sum(0) / n)
    mx = np.where(m > 0.5, x, -1e9).max(0)
    mn = np.where(m > 0.5, x, 1e9).min(0)
    p = np.concatenate([x[:1], x, x[-1:]])
    d = (p[2:] - p[:-2]) * 0.5
    dmean = (d * m).sum(0) / n
    dstd = np.sqrt((((d - dmean) * m) ** 2).sum(0) / n)
    return np.concatenate([mean, std, mn, mx, dstd])


def ms_block(ms, ms_stats):
    return ms_stats.astype(np.float64)


def prosody_block(prosody_stats):
    return prosody_stats.astype(np.float64)


def names(corpus, feature_set, prosody=False):
    """feature_set: "all" (MFCC+MS), "mfcc", "ms", or "none" (only the prosody block, with prosody)."""
    out = []
    if feature_set in ("all", "mfcc"):
        for s in ("mean", "std", "min", "max", "dstd"):
            out += [f"mfcc{c}_{s}" for c in range(corpus.mfcc_width)]
    if feature_set in ("all", "ms"):
        out += [s if s.startswith("ms_") else "ms_" + s for s in corpus.index["modulation"]["statisticNames"]]
    if prosody:
        corpus.require_prosody()
        out += list(corpus.index["prosody"]["statisticNames"])
    return out


def utterance_row(mfcc, vad, ms_stats, prosody_stats, feature_set="all"):
    """One utterance's statistics (prosody_stats None: without the prosody block), as the baselines' graphs compute them."""
    parts = []
    if feature_set in ("all", "mfcc"):
        parts.append(mfcc_block(mfcc, vad))
    if feature_set in ("all", "ms"):
        parts.append(ms_block(None, ms_stats))
    if prosody_stats is not None:
        parts.append(prosody_block(prosody_stats))
    return np.concatenate(parts)


def utterance_matrix(corpus, feature_set="all", prosody=False):
    if prosody:
        corpus.require_prosody()
    X = np.stack([utterance_row(corpus.mfcc[i], corpus.vad[i], corpus.ms_stats[i],
                                corpus.prosody_stats[i] if prosody else None, feature_set) for i in range(corpus.n)])
    assert X.shape[1] == len(names(corpus, feature_set, prosody))
    return X
