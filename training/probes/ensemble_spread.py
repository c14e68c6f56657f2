"""How lucky is a seed ensemble? Every k-member subset of a config's evaluated members, scored on the same folds.

A 3-seed ensemble's UAR is one draw: seeds 1, 2, 3 were fixed before any run, but another three seeds of the same
recipe give another number. With more members evaluated (config "seeds" longer than the shipped ensemble), the mean
over all k-member subsets estimates what a k-seed ensemble of the recipe scores, and min / max its spread.

    /usr/bin/python3 -m training.probes.ensemble_spread --config cnn_rnn_spk_noval_sp_gated5 --size 3 \
        [--features-root /work/features] [--ensemble 1,2,3]

Reads the members' stored runs (results/runs/members, as run_all leaves them; nothing is trained) and writes
results/ensemble_spread_<config>.md: per corpus and profile size, the subset mean, min and max UAR, where the
named ensemble (--ensemble, the shipped seeds) ranks among them, and every single member.
"""
import argparse
import itertools
import os

import numpy as np

from .. import data, folds as foldlib, metrics
from ..experiment import load_config, member_runs
from ..run_all import corpus_config

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def subset_uars(probs, y, folds, labels, size):
    """{member indices: mean UAR over folds of the members' averaged probabilities} for every `size`-member subset."""
    out = {}
    for ix in itertools.combinations(range(len(probs)), size):
        P = np.mean([probs[i] for i in ix], 0)
        out[ix] = float(np.mean([metrics.evaluate(y[f["test"]], P[f["test"]].argmax(1), labels)["uar"] for f in folds]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="a torch config with more seeds than the ensemble size")
    ap.add_argument("--size", type=int, default=3)
    ap.add_argument("--ensemble", default="1,2,3", help="the seeds of the shipped ensemble, to rank it")
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--corpora", default="emodb,ravdess")
    a = ap.parse_args()
    base = load_config(os.path.join(TRAINING, "configs", f"{a.config}.json"))
    shipped = [int(s) for s in a.ensemble.split(",")]
    lines = [f"# Seed-ensemble spread ({a.config}, {a.size} of {len(base['seeds'])} members; "
             f"`python3 -m training.probes.ensemble_spread --config {a.config} --size {a.size}`)", "",
             f"UAR % of every {a.size}-member ensemble that can be drawn from the evaluated members (mean of their "
             "probabilities, as models.Ensemble averages them), on the same folds and profiles; the shipped seeds "
             f"{a.ensemble} ranked among them.", "",
             "| corpus | profile | subsets | mean | min | max | seeds " + a.ensemble + " (rank) | single members |",
             "|---|---|---|---|---|---|---|---|"]
    for corpus_name in a.corpora.split(","):
        features = os.path.join(a.features_root, corpus_name)
        cfg = corpus_config(base, corpus_name)
        runs = member_runs(cfg, features, os.path.join(TRAINING, "results", "runs"), log=lambda *_: None)
        corpus = data.load(features)
        folds = foldlib.make_folds(corpus.speakers)
        seeds = [int(r["config"]["seed"]) for r in runs]
        key = tuple(seeds.index(s) for s in shipped)
        curves = [k for k in runs[0].get("enrol_curve", {"main": None})]
        for k in curves:
            probs = [np.array(r["enrol_curve"][k]["probabilities"] if k != "main" else r["probabilities"],
                              dtype=np.float64)[:corpus.n] for r in runs]
            uars = subset_uars(probs, corpus.y, folds, corpus.labels, a.size)
            singles = subset_uars(probs, corpus.y, folds, corpus.labels, 1)
            v = np.array(list(uars.values()))
            rank = 1 + int((v > uars[key]).sum())
            lines.append(f"| {corpus_name} | {k} | {len(v)} | {100 * v.mean():.1f} | {100 * v.min():.1f} | "
                         f"{100 * v.max():.1f} | {100 * uars[key]:.1f} ({rank} of {len(v)}) | "
                         + " / ".join(f"{100 * singles[(i,)]:.1f}" for i in range(len(runs))) + " |")
    out = os.path.join(TRAINING, "results", f"ensemble_spread_{a.config}.md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
