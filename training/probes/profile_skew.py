"""How much a skewed speaker profile costs (the caveat in docs/accuracy.md, "Skewed profiles", measured).

The evaluation's profiles are 20 random other recordings of the test speaker, which in acted corpora means
every emotion in similar shares. A real speaker's earlier recordings need not be: a patient's calls may be mostly
sad. Here the MLR with a speaker profile (config mlr_spk, the fast model with the same centring as the CNN-RNN)
is trained once per fold and each test recording is scored against profiles of 20 other recordings of its
speaker of which a given share come from one dominant emotion (labels are used only to build that
scenario). Per dominant emotion: UAR and the recall of that emotion, against the balanced profile.

    /usr/bin/python3 -m training.probes.profile_skew --features-root /work/features [--config mlr_spk|cnn_rnn_spk_noval_sp]

Every scenario is scored three ways from the same recordings: plain, compensated and gated profiles (profiles.py).
"""
import argparse
import os

import numpy as np

from .. import baselines, data, folds as foldlib, metrics, stats
from .. import config as configlib, profiles
from ..train import profile_means, profile_rows, speaker_offsets

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = 20
# the profile's mean as it is, emotion-compensated (profiles.py), and compensated only when more than GATE of the
# profile reads as one emotion
METHODS = ("plain", "compensated", "gated")
GATE = 0.5
# every profile variant scored: its gate (None: the plain mean; 0: always compensated); the summary shows them all,
# the per-emotion tables METHODS
VARIANTS = {"plain": None, "compensated": 0.0, "gate 0.3": 0.3, "gate 0.4": 0.4, "gated": GATE, "gate 0.6": 0.6}


def skewed_rows(corpus, te, dominant, share, rng, sizes):
    """For each test recording, other recordings of its speaker of which exactly `share` have label `dominant`:
    k = as many of those as exist, up to share * SIZE, plus k (1 - share) / share of the other labels (none at
    share 1); SIZE of the other labels when the speaker has no other recording of `dominant`. The profile sizes
    used are appended to `sizes`."""
    out = []
    for i in te:
        others = np.where((corpus.speakers == corpus.speakers[i]) & (np.arange(corpus.n) != i))[0]
        dom, rest = others[corpus.y[others] == dominant], others[corpus.y[others] != dominant]
        k = min(int(round(share * SIZE)), len(dom))
        n_rest = min(int(round(k * (1 - share) / share)), len(rest))
        if k == 0:  # no other recording of that emotion: the speaker's profile cannot lean that way
            n_rest = min(SIZE, len(rest))
        pick = np.concatenate([rng.choice(dom, k, replace=False), rng.choice(rest, n_rest, replace=False)])
        sizes.append(len(pick))
        out.append(pick)
    return out


def stats_of(corpus, cfg):
    """The statistics the config's model centres on a profile."""
    if cfg["kind"] == "torch":
        from ..train import utterance_stats
        return utterance_stats(corpus, cfg.get("prosody", False))
    return stats.utterance_matrix(corpus, cfg.get("feature_set", "all"), cfg.get("prosody", False))


def run(features_dir, config="mlr_spk", shares=(0.5, 1.0), seed=0):
    """config: mlr_spk (seconds) or a speaker-adapted torch config (one seed, trained once per fold as that
    config's evaluation trains it; minutes)."""
    cfg = configlib.by_name(config)
    corpus = data.load(features_dir)
    K = len(corpus.labels)
    folds = foldlib.make_folds(corpus.speakers)
    # the compensation of each fold, from its training speakers' own recordings (before copies join the folds)
    X = stats_of(corpus, cfg)
    comps = [profiles.fit_fold(X, corpus, fo, corpus.n, seed) for fo in folds]
    if cfg["kind"] == "torch":
        from ..train import predict, train_model
        scorers = []
        val = cfg["train"].get("validation", True)
        train_corpus = corpus
        if cfg.get("perturbed"):  # trained with the speed-perturbed copies as its evaluation is; scored on the originals
            from ..experiment import with_copies
            train_corpus = with_copies(corpus, features_dir, cfg, folds)
        for fo in folds:
            tr = fo["train"] if val else np.concatenate([fo["train"], fo["val"]])
            model, _, _ = train_model(cfg, train_corpus, tr, fo["val"] if val else None, int(cfg.get("seed", 1)) + fo["fold"],
                                      log=lambda *_: None)
            scorers.append(lambda te, off, m=model: predict(m, corpus, te, offsets=off))
    else:
        scorers = []
        for fo in folds:
            tr = np.concatenate([fo["train"], fo["val"]])
            pipe = baselines.fit_fold("mlr", cfg, X[tr] - speaker_offsets(X, corpus.speakers, tr), corpus.y[tr],
                                      corpus.speakers[tr], K, seed)
            scorers.append(lambda te, off, p=pipe: baselines.predict_scores(p, X[te] - off))

    def score(rows_of):
        """{variant: metrics over all test recordings}, each scored against profiles of the same rows."""
        pred = {m: np.full(corpus.n, -1) for m in VARIANTS}
        for fo, scorer, comp in zip(folds, scorers, comps):
            te = fo["test"]
            rows = rows_of(te)
            for m, gate in VARIANTS.items():
                c = None if gate is None else profiles.with_gate(comp, gate)
                pred[m][te] = scorer(te, profile_means(X, rows, c)).argmax(1)
        return {m: metrics.evaluate(corpus.y, pred[m], corpus.labels) for m in VARIANTS}

    rng = np.random.default_rng(seed)
    balanced = score(lambda te: profile_rows(corpus.speakers, te, SIZE, seed))
    out = []
    for d in range(K):
        for share in shares:
            sizes = []
            r = score(lambda te: skewed_rows(corpus, te, d, share, rng, sizes))
            row = {"dominant": corpus.labels[d], "share": share, "size": float(np.mean(sizes))}
            for m in VARIANTS:
                row[m] = {"uar": r[m]["uar"], "recall_dominant": r[m]["per_class"][corpus.labels[d]]["recall"],
                          "recall_dominant_balanced": balanced[m]["per_class"][corpus.labels[d]]["recall"]}
            out.append(row)
    return corpus.name, balanced, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features-root", required=True)
    ap.add_argument("--config", default="mlr_spk", help="mlr_spk, or a speaker-adapted CNN-RNN config (one seed)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    a.out = a.out or os.path.join(TRAINING, "results", "profile_skew.md" if a.config == "mlr_spk" else f"profile_skew_{a.config}.md")
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("RTSER_THREADS", "1")))
    lines = [f"# Skewed speaker profiles ({a.config}; `python3 -m training.probes.profile_skew --config {a.config}`)", "",
             "Each test recording scored against a profile of other recordings of its speaker of which exactly the given",
             "share comes from one dominant emotion (up to 20 recordings; fewer where the speaker has fewer of that",
             "emotion), first balanced (20 random other recordings, as in the evaluation). The same trained model and",
             "the same recordings, three profiles: plain (their mean), compensated (training/profiles.py: minus the",
             "mean per-recording posterior times the classes' offsets, fitted on the training speakers) and gated",
             f"(compensated only when some emotion's mean posterior exceeds {GATE}, the plain mean otherwise).",
             "UAR % over all test recordings and the recall % of the dominant emotion (in brackets: with the balanced profile).", ""]
    for corpus in ("emodb", "ravdess"):
        name, balanced, rows = run(os.path.join(a.features_root, corpus), a.config)
        lines += [f"## {name}: balanced profile UAR " + ", ".join(f"{100 * balanced[m]['uar']:.1f} {m}" for m in METHODS), "",
                  "| dominant emotion in the profile | share | mean profile size | "
                  + " | ".join(f"UAR % {m}" for m in METHODS) + " | " + " | ".join(f"its recall % {m}" for m in METHODS) + " |",
                  "|---|---|---|" + "---|" * (2 * len(METHODS))]
        lines += [f"| {r['dominant']} | {r['share']:.0%} | {r['size']:.1f} | "
                  + " | ".join(f"{100 * r[m]['uar']:.1f}" for m in METHODS) + " | "
                  + " | ".join(f"{100 * r[m]['recall_dominant']:.1f} ({100 * r[m]['recall_dominant_balanced']:.1f})"
                               for m in METHODS) + " |" for r in rows]
        for m in METHODS:
            mean = {s: np.mean([r[m]["uar"] for r in rows if r["share"] == s]) for s in sorted({r["share"] for r in rows})}
            lines += ["", f"Mean UAR over dominant emotions, {m}: balanced -> {100 * balanced[m]['uar']:.1f}, "
                      + ", ".join(f"{s:.0%} -> {100 * u:.1f}" for s, u in mean.items())]
        shares = sorted({r["share"] for r in rows})
        lines += ["", f"### {name}: UAR % by profile variant (mean over dominant emotions)", "",
                  "| profile | balanced | " + " | ".join(f"{s:.0%} one emotion" for s in shares) + " |",
                  "|---|---|" + "---|" * len(shares)]
        lines += [f"| {m} | {100 * balanced[m]['uar']:.1f} | "
                  + " | ".join(f"{100 * np.mean([r[m]['uar'] for r in rows if r['share'] == s]):.1f}" for s in shares) + " |"
                  for m in VARIANTS]
        lines += [""]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
