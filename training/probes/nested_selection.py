"""What is picking the best recipe on the scoring folds worth? A selection-corrected estimate from stored runs.

Every speaker-profile CNN-RNN recipe tried was scored on the same folds with the same profile draws, and the exported
one was picked because it scored best there, so its figure is optimistic. Here each fold is held out in turn, the
recipe with the best mean UAR over the *other* folds is picked, and its UAR on the held-out fold is kept; the mean of
those is what the procedure "try recipes, keep the best" scores on speakers it did not choose with. (The other
folds' models were trained with the held-out speaker, but that speaker's labels never judge a recipe.)

    /usr/bin/python3 -m training.probes.nested_selection [--features-root /work/features] [--profile 20]

Reads results/runs (nothing is trained; seconds), writes results/nested_selection.md.
"""
import argparse
import os

import numpy as np

from .. import data, folds as foldlib, metrics, runs

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def nested(per_fold):
    """per_fold: {recipe: [UAR per fold]} (same folds). Returns (held-out UAR per fold, recipe picked per fold),
    each fold's pick being the best mean over the other folds (ties: the first name in sorted order)."""
    names = sorted(per_fold)
    U = np.array([per_fold[n] for n in names], dtype=np.float64)
    scores, picks = [], []
    for f in range(U.shape[1]):
        rest = np.delete(U, f, axis=1).mean(1)
        best = int(np.argmax(rest))
        scores.append(U[best, f])
        picks.append(names[best])
    return np.array(scores), picks


def candidates(corpus_name, profile, runs_dir):
    """{recipe: run} for every CNN-RNN run with speaker profiles scored at that profile size."""
    out = {}
    for p in runs.paths(runs_dir, corpus_name):
        r = runs.load(p, arrays=False)
        if r["config"].get("model", {}).get("arch") == "cnn_rnn" and profile in r.get("enrol_curve", {}):
            out[r["name"]] = runs.load(p)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--profile", default="20")
    ap.add_argument("--corpora", default="emodb,ravdess")
    a = ap.parse_args()
    lines = [f"# Selection-corrected UAR of the speaker-profile CNN-RNN recipes ({a.profile}-recording profiles; "
             "`python3 -m training.probes.nested_selection`)", "",
             "Each fold held out in turn: the recipe with the best mean UAR over the other folds is picked and scored "
             "on the held-out fold.", "",
             "| corpus | recipes | best recipe in-sample (UAR) | shipped recipe | selection-corrected UAR | recipes picked (folds) |",
             "|---|---|---|---|---|---|"]
    for corpus_name in a.corpora.split(","):
        corpus = data.load(os.path.join(a.features_root, corpus_name))
        folds = foldlib.make_folds(corpus.speakers)
        recipes = candidates(corpus_name, a.profile, os.path.join(TRAINING, "results", "runs"))
        per_fold = {}
        for name, r in recipes.items():
            P = np.array(r["enrol_curve"][a.profile]["probabilities"], dtype=np.float64)[:corpus.n]
            per_fold[name] = [metrics.evaluate(corpus.y[f["test"]], P[f["test"]].argmax(1), corpus.labels)["uar"]
                              for f in folds]
        scores, picks = nested(per_fold)
        means = {n: np.mean(v) for n, v in per_fold.items()}
        best = max(means, key=means.get)
        shipped = "cnn_rnn_spk_noval_sp_gated"
        counts = {n: picks.count(n) for n in sorted(set(picks))}
        lines.append(f"| {corpus_name} | {len(recipes)} | `{best}` ({100 * means[best]:.1f}) | "
                     f"{100 * means.get(shipped, float('nan')):.1f} | **{100 * scores.mean():.1f}** | "
                     + ", ".join(f"`{n}` ({c})" for n, c in counts.items()) + " |")
    out = os.path.join(TRAINING, "results", "nested_selection.md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
