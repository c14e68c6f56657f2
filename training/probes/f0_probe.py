"""Probe (not adopted): do the F0 tracker's octave errors cost the statistics models accuracy?

The C# NCCF tracker has no continuity across frames. In the exported frames, 2.5 % of EmoDB's voiced speech frames
sit more than an octave below their utterance's median F0 and 4.1 % more than an octave above it (RAVDESS 2.8 % and
1.6 %; printed by every run). Such values are mostly halving and doubling errors. This probe recomputes the eight F0 functionals of `prosody_stats` (columns 1-8,
the same definitions as C# `ProsodyExtractor.UtteranceStatistics`; mode "none" reproduces the export exactly and
says so) from the exported frames, with the octave errors corrected one of three ways, and runs MLR configs on them:

* fold: a voiced frame more than 9 semitones from the utterance median moves 12 semitones towards it;
* folddown: only frames more than 9 below (lag doubling, the NCCF's usual error);
* trim: frames more than 12 semitones from the median are left out.

    /usr/bin/python3 -m training.probes.f0_probe --mode trim [--configs mlr_prosody,mlr_spk] [--features-root /work/features]

(under a minute per config and corpus; runs go to /tmp/f0_probe/<mode>, nothing in results/ changes).
"""
import argparse
import os

import numpy as np

from .. import data, experiment

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEMITONES = 12.0


def voiced_f0(frames, speech):
    """(frame indices, F0 in semitones) of an utterance's voiced speech frames, as the C# functionals take them
    (all frames count as speech when fewer than two are)."""
    speech = np.asarray(speech, bool)
    if speech.sum() < 2:
        speech = np.ones(len(frames), bool)
    at = np.where((frames[:, 2] > 0.5) & speech)[0]
    return at, frames[at, 0].astype(np.float64)


def f0_functionals(frames, speech, mode, shift=0.01):
    """The eight F0 functionals (mean, std, p10, p50, p90, p90 - p10, slope per second, mean absolute change between
    adjacent voiced frames) of one utterance's prosody frames [T, 5] over voiced speech frames, octave errors
    corrected by mode; None with fewer than two voiced frames."""
    at, f = voiced_f0(frames, speech)
    if len(f) < 2:
        return None
    d = f - np.median(f)
    if mode == "fold":
        f = np.where(d < -9, f + SEMITONES, np.where(d > 9, f - SEMITONES, f))
    elif mode == "folddown":
        f = np.where(d < -9, f + SEMITONES, f)
    elif mode == "trim":
        keep = np.abs(d) <= SEMITONES
        at, f = at[keep], f[keep]
        if len(f) < 2:
            return None
    elif mode != "none":
        raise ValueError(f"unknown mode {mode}")
    adjacent = np.diff(at) == 1
    change = np.abs(np.diff(f))[adjacent].mean() if adjacent.any() else 0.0
    t = at * shift
    q = np.quantile(f, [0.1, 0.5, 0.9])
    slope = np.polyfit(t, f, 1)[0] if np.ptp(t) > 0 else 0.0
    return [f.mean(), f.std(), q[0], q[1], q[2], q[2] - q[0], slope, change]


def octave_off(corpus):
    """Shares of voiced speech frames more than an octave below / above their utterance's median F0."""
    below = above = total = 0
    for frames, vad in zip(corpus.prosody, corpus.vad):
        _, f = voiced_f0(frames, vad)
        if len(f) < 2:
            continue
        d = f - np.median(f)
        below, above, total = below + int((d < -SEMITONES).sum()), above + int((d > SEMITONES).sum()), total + len(f)
    return below / total, above / total


def corrected(corpus, mode):
    """The corpus with prosody_stats columns 1-8 recomputed by f0_functionals."""
    ps = corpus.prosody_stats.copy()
    for i in range(corpus.n):
        s = f0_functionals(corpus.prosody[i], corpus.vad[i], mode)
        if s is not None:
            ps[i, 1:9] = s
    corpus.prosody_stats = ps.astype(np.float32)
    return corpus


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True, choices=["none", "fold", "folddown", "trim"])
    ap.add_argument("--configs", default="mlr_prosody,mlr_spk")
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--corpora", default="emodb,ravdess")
    a = ap.parse_args()
    load = data.load

    def load_corrected(root):
        c = load(root)
        if os.path.basename(root) in a.corpora.split(","):  # not for the speed-perturbed copies
            lo, hi = octave_off(c)
            print(f"{os.path.basename(root)}: {100 * lo:.1f} % of voiced speech frames more than an octave below their "
                  f"utterance's median F0, {100 * hi:.1f} % above", flush=True)
        before = c.prosody_stats.copy()
        c = corrected(c, a.mode)
        if a.mode == "none":
            print(f"{os.path.basename(root)}: largest difference from the C# export "
                  f"{np.abs(c.prosody_stats - before).max():.2e}")
        return c

    data.load = load_corrected  # experiment.run loads through data.load
    try:
        for name in a.configs.split(","):
            for corpus in a.corpora.split(","):
                cfg = experiment.load_config(os.path.join(TRAINING, "configs", f"{name}.json"))
                r = experiment.run(cfg, os.path.join(a.features_root, corpus), f"/tmp/f0_probe/{a.mode}",
                                   log=lambda *_: None)
                print(f"{a.mode} {name} {corpus}: UAR {100 * r['aggregate']['uar_mean']:.1f}", flush=True)
    finally:
        data.load = load


if __name__ == "__main__":
    main()
