"""Probe (not adopted): speaker-adaptive centring of the classifier's input features at test time.

The exported CNN-RNN centres its *inputs* on the speaker's profile. What is left of the speaker after the network's
non-linearities reaches the final linear layer uncentred. This probe moves the mean of a test speaker's
penultimate features (pooled GRU output ; statistics branch, 96 values), measured on the same enrolment recordings
the profile averages, onto the training speakers' mean, in the spirit of AdaBN (re-estimating normalisation
statistics on the target domain), before the final layer:

    e' = e - a * (mean(e over the enrolment recordings) - mean over training speakers of their mean e)

One seed of the exported recipe (cnn_rnn_spk_noval_sp_gated) per run, trained exactly as its stored member (the
base column reproduces the member's UAR), scored at the main profile size with a = 1 and a = 0.5:

    /usr/bin/python3 -m training.probes.embed_probe --corpus emodb [--seed 1] [--features-root /work/features]

(EmoDB 6 min, RAVDESS 11 min per seed on one core.)
"""
import argparse
import os
import time

import numpy as np

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def penultimate(model, corpus, idx, offsets):
    """[len(idx), D]: what the final linear layer of a CNN-RNN reads for each utterance (its speaker_mean input
    offsets[j]), in eval mode; one utterance at a time so the order is idx's."""
    from ..train import predict
    got = []
    hook = model.out[-1].register_forward_pre_hook(lambda m, inp: got.append(inp[0].detach().numpy().copy()))
    try:
        for j, i in enumerate(idx):
            predict(model, corpus, [i], offsets=offsets[j:j + 1])
    finally:
        hook.remove()
    return np.concatenate(got, 0)


def centred_probabilities(model, e, enrol_mean, reference, a):
    """Softmax of the final layer on e - a * (enrol_mean - reference), all [N, D]."""
    import torch
    with torch.no_grad():
        z = torch.from_numpy((e - a * (enrol_mean - reference)).astype(np.float32))
        return torch.softmax(model.out[-1](z), -1).numpy()


def main():
    from .. import data, folds as foldlib, metrics
    from ..experiment import ENROL_SEED, compensation, load_config, with_copies
    from ..run_all import corpus_config
    from ..train import predict, profile_means, profile_rows, speaker_offsets, train_model, utterance_stats
    import torch
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", default="cnn_rnn_spk_noval_sp_gated")
    ap.add_argument("--features-root", default="/work/features")
    a = ap.parse_args()
    torch.set_num_threads(1)
    cfg = corpus_config(load_config(os.path.join(TRAINING, "configs", f"{a.config}.json")), a.corpus)
    cfg.pop("seeds", None)
    cfg["seed"] = a.seed
    features = os.path.join(a.features_root, a.corpus)
    corpus = data.load(features)
    folds = foldlib.make_folds(corpus.speakers)
    n = corpus.n
    if cfg.get("perturbed"):
        corpus = with_copies(corpus, features, cfg, folds)
    S = utterance_stats(corpus, cfg.get("prosody", False))
    enrol = cfg["speaker_norm"].get("enrol", 20)
    K = len(corpus.labels)
    P = {name: np.full((n, K), np.nan) for name in ("base", "a=1", "a=0.5")}
    t0 = time.time()
    for fo in folds:
        te = fo["test"]
        tr = np.concatenate([fo["train"], fo["val"]])
        model, _, _ = train_model(cfg, corpus, tr, None, a.seed + fo["fold"], log=lambda *_: None)
        model.eval()
        own = tr[tr < n]  # the training speakers' recordings (not their copies), centred as in training
        E = penultimate(model, corpus, own, speaker_offsets(S, corpus.speakers, own))
        reference = np.mean([E[corpus.speakers[own] == s].mean(0) for s in sorted(set(corpus.speakers[own]))], 0)
        rows = profile_rows(corpus.speakers, te, enrol, ENROL_SEED)
        prof = profile_means(S, rows, compensation(cfg, S, corpus, fo, n))
        P["base"][te] = predict(model, corpus, te, offsets=prof)
        e = penultimate(model, corpus, te, prof)
        enrol_mean = np.stack([penultimate(model, corpus, r, np.repeat(prof[j:j + 1], len(r), 0)).mean(0)
                               for j, r in enumerate(rows)])
        for name, w in (("a=1", 1.0), ("a=0.5", 0.5)):
            P[name][te] = centred_probabilities(model, e, enrol_mean, reference[None], w)
        print(f"fold {fo['fold']} " + " ".join(
            f"{k} {metrics.evaluate(corpus.y[te], v[te].argmax(1), corpus.labels)['uar']:.3f}" for k, v in P.items())
            + f" ({time.time() - t0:.0f}s)", flush=True)
    uar = {k: np.mean([metrics.evaluate(corpus.y[f["test"]], v[f["test"]].argmax(1), corpus.labels)["uar"]
                       for f in folds]) for k, v in P.items()}
    print(f"{a.config} {a.corpus} seed {a.seed}, {enrol}-recording profiles, UAR %: "
          + ", ".join(f"{k} {100 * v:.1f}" for k, v in uar.items()))


if __name__ == "__main__":
    main()
