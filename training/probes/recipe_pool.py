"""How far does averaging go? The stored test probabilities of several speaker-profile recipes (each a 3-seed
ensemble, scored on the same folds with the same 20-recording profile draws) averaged into one pool.

    /usr/bin/python3 -m training.probes.recipe_pool [--features-root /work/features] [--configs a,b,...] [--profile 20]

Reads results/runs (nothing is trained; seconds) and prints each recipe's UAR and the pool's. The default pool is
every 13- or 40-MFCC profile recipe evaluated through 2026-12-02 whose members differ (21 models): if recipes that
each land within noise of each other hold different errors, their average should beat the best of them.
"""
import argparse
import os

import numpy as np

from .. import data, folds as foldlib, runs
from .ensemble_spread import subset_uars

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POOL = ("cnn_rnn_spk_noval_sp_gated", "cnn_rnn_spk_noval_sp4", "cnn_rnn_spk_noval_pframes", "cnn_rnn_spk_noval_sp_m40",
        "cnn_rnn_spk_noval_sp_adv", "cnn_rnn_spk_noval_sp_gated_sampled", "cnn_rnn_spk_noval")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--configs", default=",".join(POOL))
    ap.add_argument("--profile", default="20")
    ap.add_argument("--corpora", default="emodb,ravdess")
    a = ap.parse_args()
    names = a.configs.split(",")
    for corpus_name in a.corpora.split(","):
        corpus = data.load(os.path.join(a.features_root, corpus_name))
        folds = foldlib.make_folds(corpus.speakers)
        probs = []
        for name in names:
            r = runs.load(os.path.join(TRAINING, "results", "runs", f"{name}__{corpus_name}.json"))
            probs.append(np.array(r["enrol_curve"][a.profile]["probabilities"], dtype=np.float64)[:corpus.n])
        single = subset_uars(probs, corpus.y, folds, corpus.labels, 1)
        pooled = subset_uars(probs, corpus.y, folds, corpus.labels, len(probs))
        for i, name in enumerate(names):
            print(f"{corpus_name} {a.profile} {name}: {100 * single[(i,)]:.1f}")
        print(f"{corpus_name} {a.profile} pool of {len(names)}: {100 * next(iter(pooled.values())):.1f}")


if __name__ == "__main__":
    main()
