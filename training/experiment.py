"""Run one experiment config on one corpus over the speaker-independent folds.

    python3 -m training.experiment --config training/configs/svm.json --features /work/features/emodb \
        --out training/results/runs [--smoke]
"""
import argparse
import json
import os
import time

import numpy as np

from . import runs


def load_config(path, smoke=False):
    """The config file at path with its base chain resolved (training/config.py), smoke-sized with smoke."""
    from . import config
    cfg = config.load(path)
    if smoke:
        cfg = apply_smoke(cfg)
    return cfg


def apply_smoke(cfg):
    cfg = json.loads(json.dumps(cfg))
    if "train" in cfg:
        cfg["train"]["epochs"] = 1
    cfg.pop("grid", None)
    if cfg.get("selection") and "k" in cfg["selection"]:
        cfg["selection"]["k"] = cfg["selection"]["k"][:1]
    cfg["smoke"] = True
    return cfg


ENROL_SEED = 0  # the same random speaker profiles for every model and seed


def enrol_curve(cfg):
    """Speaker-profile sizes evaluated for a speaker-normalised config (the main one first)."""
    main = cfg["speaker_norm"].get("enrol", 20)
    return [main] + [k for k in cfg["speaker_norm"].get("curve", [5, 10, 20, "all"]) if k != main]


def profile_curve(curve, cfg, S, corpus, te, score, comp=None, plain=None):
    """Scores the test files te with speaker profiles of every size in enrol_curve (the same trained model), each
    from S (the raw statistics) into curve[size]; returns the main size's probabilities. With comp (profiles.fit on
    the fold's training speakers) the profiles are emotion-compensated, and the plain means of the same recordings
    are scored into plain[size] for comparison."""
    from .train import profile_means, profile_rows
    for k in enrol_curve(cfg):
        rows = profile_rows(corpus.speakers, te, k, ENROL_SEED)
        for into, c in ((curve, comp), (plain, None)) if comp is not None else ((curve, None),):
            probs = score(profile_means(S, rows, c))
            into.setdefault(str(k), np.full((corpus.n, probs.shape[1]), np.nan))[te] = probs
    return curve[str(cfg["speaker_norm"].get("enrol", 20))][te]


def tta_curve(curve, cfg, S, corpus, te, score, comp=None):
    """Test-time augmentation (config "tta": true, with "perturbed"): for every profile size, the mean of a test
    recording's probabilities and those of its speed-perturbed copies, each copy scored against the profile of the
    same enrolment recordings' copies (a perturbed voice against its own perturbed profile, as copies train).
    score(idx, offsets) -> probabilities; results into curve[size]."""
    from . import data
    from .train import profile_means, profile_rows
    te = np.asarray(te)
    paths = data.unprefixed(corpus.paths)
    tags = [p.split(":", 1)[0] if ":" in p else "" for p in corpus.paths]
    index = {(t, p): i for i, (t, p) in enumerate(zip(tags, paths))}
    copies = [f"{corpus.name}_{tag}" for tag in cfg["perturbed"]]
    for k in enrol_curve(cfg):
        rows = profile_rows(corpus.speakers, te, k, ENROL_SEED)
        probs = [score(te, profile_means(S, rows, comp))]
        for c in copies:
            to_copy = np.vectorize(lambda i: index[(c, paths[i])], otypes=[np.int64])
            probs.append(score(to_copy(te), profile_means(S, [to_copy(r) for r in rows], comp)))
        curve.setdefault(str(k), np.full((corpus.n, probs[0].shape[1]), np.nan))[te] = np.mean(probs, 0)


def compensation(cfg, S, corpus, fo, n_own):
    """The fold's profile compensation (config speaker_norm.compensate, profiles.fit_fold) with its gate; None
    without it."""
    if not cfg["speaker_norm"].get("compensate"):
        return None
    from . import profiles
    comp = profiles.fit_fold(S, corpus, fo, n_own, int(cfg.get("seed", 1)))
    return profiles.with_gate(comp, profiles.gate_of(cfg["speaker_norm"]["compensate"]))


def curve_results(curve, corpus, folds):
    """{profile size: {uar_mean, uar_sd, accuracy_mean, probabilities}} over the same folds."""
    from . import metrics
    out = {}
    for k, P in curve.items():
        fr = [metrics.evaluate(corpus.y[fo["test"]], P[fo["test"]].argmax(1), corpus.labels) for fo in folds]
        agg = metrics.aggregate(fr, corpus.labels)
        out[k] = {"uar_mean": agg["uar_mean"], "uar_sd": agg["uar_sd"], "accuracy_mean": agg["accuracy_mean"],
                  "probabilities": [[round(float(v), 6) for v in row] for row in P]}
    return out


# keys that change neither what is trained nor how it is scored (a stored run with only these different is reused)
COSMETIC_KEYS = ("title", "priority", "export", "export_corpora", "compare", "service_profile")
IDENTITY_KEYS = ("name", "seeds") + COSMETIC_KEYS


def with_copies(corpus, features_dir, cfg, folds):
    """The corpus followed by its speed-perturbed copies (config "perturbed"), each fold's training set extended by
    add_copies (validation speakers' copies too when they train)."""
    from . import data
    merged = data.merge(corpus, data.load_perturbed(features_dir, cfg["perturbed"]))
    # baselines train on every non-test speaker; torch models with a validation speaker keep its copies out
    with_val = cfg.get("kind", "torch") != "torch" or not cfg["train"].get("validation", True)
    add_copies(folds, merged.speakers, corpus.n, with_val=with_val)
    return merged


def add_copies(folds, speakers, first_copy, with_val):
    """Each fold's training set gains the perturbed copies (indices first_copy..) of its training speakers (and of
    its validation speakers when with_val: they train too), never those of the speakers it tests."""
    from . import data
    origin = data.unprefixed(speakers)
    copies = np.arange(first_copy, len(speakers))
    for fo in folds:
        own = set(speakers[fo["train"]]) | (set(speakers[fo["val"]]) if with_val else set())
        fo["train"] = np.concatenate([fo["train"], copies[np.isin(origin[copies], sorted(own))]])


def _same_model(a, b):
    """Two configs train the same models (names, titles, export ids and the seed list aside)."""
    strip = lambda c: {k: v for k, v in c.items() if k not in IDENTITY_KEYS}
    return strip(a) == strip(b)


def member_runs(cfg, features_dir, out_dir, log=print, fold_models=None):
    """Seed ensemble ("seeds": [s1, s2, ...]): one single-seed run per seed (member seed s: torch seed s + fold,
    as in every single run). A stored run with the same config, that seed and test probabilities is reused
    (from out_dir or out_dir/members) unless fold_models asks for fold models it has not saved; new member runs go
    to out_dir/members."""
    with open(os.path.join(features_dir, "index.json")) as f:
        corpus_name = json.load(f)["corpus"]
    members = []
    for s in cfg["seeds"]:
        member = {k: v for k, v in cfg.items() if k != "seeds"}
        member["seed"] = int(s)
        member["name"] = f"{cfg['name']}__seed{s}"
        found = None
        missing = fold_models and not os.path.exists(fold_model_path(fold_models, member["name"], corpus_name, 0))
        for d in () if missing else (out_dir, os.path.join(out_dir, "members")):
            for p in runs.paths(d, corpus_name):
                r = runs.load(p, arrays=False)
                if "probabilities" in r and not r["config"].get("seeds") and _same_model(r["config"], member):
                    found = p
                    break
            if found:
                break
        if found:
            log(f"[{cfg['name']}/{corpus_name}] seed {s}: reusing {found}")
            members.append(runs.load(found))
        else:
            members.append(run(member, features_dir, os.path.join(out_dir, "members"), log=log, fold_models=fold_models))
    return members


def run_ensemble(cfg, features_dir, out_dir, log=print, fold_models=None):
    """Evaluate the average of the members' probabilities on the same folds; also the members' own spread."""
    from . import data, folds as foldlib, metrics
    members = member_runs(cfg, features_dir, out_dir, log, fold_models)
    corpus = data.load(features_dir)
    folds = foldlib.make_folds(corpus.speakers)
    P = np.mean([np.array(r["probabilities"], dtype=np.float64) for r in members], 0)
    preds = P.argmax(1)
    fold_results = []
    for fo in folds:
        te = fo["test"]
        r = metrics.evaluate(corpus.y[te], preds[te], corpus.labels)
        r.update({"fold": fo["fold"], "test_speakers": fo["test_speakers"], "val_speakers": fo["val_speakers"]})
        fold_results.append(r)
    agg = metrics.aggregate(fold_results, corpus.labels)
    mu = np.array([r["aggregate"]["uar_mean"] for r in members])
    ma = np.array([r["aggregate"]["accuracy_mean"] for r in members])
    out = {"name": cfg["name"], "corpus": corpus.name, "config": cfg, "labels": corpus.labels,
           "n_files": corpus.n, "n_extra_training_files": members[0].get("n_extra_training_files", 0),
           "n_folds": len(folds), "seconds": round(sum(r["seconds"] for r in members), 1),
           "aggregate": agg, "folds": fold_results,
           "fold_meta": [{"best_epoch": int(np.median([r["fold_meta"][i]["best_epoch"] for r in members])),
                          "member_best_epochs": [r["fold_meta"][i]["best_epoch"] for r in members]}
                         for i in range(len(folds))],
           "members": [{"seed": r["config"]["seed"], "uar_mean": r["aggregate"]["uar_mean"],
                        "uar_sd": r["aggregate"]["uar_sd"], "accuracy_mean": r["aggregate"]["accuracy_mean"],
                        "per_fold_uar": [f["uar"] for f in r["folds"]]} for r in members],
           "member_uar_mean": float(mu.mean()), "member_uar_sd": float(mu.std(ddof=1)) if len(mu) > 1 else 0.0,
           "member_accuracy_mean": float(ma.mean()),
           "predictions": preds.tolist(), "probabilities": [[round(float(v), 6) for v in row] for row in P],
           "featureConfig": corpus.index.get("featureConfig")}
    if all(r.get("enrol_curve") for r in members):
        curve = {k: np.mean([np.array(r["enrol_curve"][k]["probabilities"], dtype=np.float64) for r in members], 0)
                 for k in members[0]["enrol_curve"]}
        out["enrol_curve"] = curve_results(curve, corpus, folds)
    for key in ("enrol_curve_plain", "tta_curve"):
        if all(r.get(key) for r in members):
            mean = {k: np.mean([np.array(r[key][k]["probabilities"], dtype=np.float64) for r in members], 0)
                    for k in members[0][key]}
            out[key] = curve_results(mean, corpus, folds)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{cfg['name']}__{corpus.name}.json")
    runs.save(out, path)
    log(f"[{cfg['name']}/{corpus.name}] ensemble of {len(members)}: UAR {agg['uar_mean']:.3f}±{agg['uar_sd']:.3f} "
        f"(members {mu.mean():.3f}±{out['member_uar_sd']:.3f}: {', '.join(f'{u:.3f}' for u in mu)}) -> {path}")
    return out


def run(cfg, features_dir, out_dir, log=print, fold_models=None):
    """One config on one corpus over the shared folds, as recipe steps: seed first, then data, folds, train and
    score every fold, evaluate, record. A torch config with "seeds" is an ensemble of such runs (run_ensemble).
    With fold_models (a folder) each fold's trained model is saved there too (fold_model_path), so
    training/fold_models.py can export exactly the models this evaluation scored."""
    if cfg.get("seeds") and cfg["kind"] == "torch":
        return run_ensemble(cfg, features_dir, out_dir, log, fold_models)
    seed = seed_everything(cfg)
    corpus = load_data(cfg, features_dir)
    corpus, folds, n_extra = make_folds(cfg, corpus, features_dir, log)
    scores = Scores(corpus, n_extra)
    t0 = time.time()
    X, names = utterance_features(cfg, corpus)
    fold_results, fold_meta = [], []
    for fo in folds:
        fold_meta.append(train_fold(cfg, corpus, fo, n_extra, seed, X, names, scores, log,
                                    None if not fold_models else fold_model_path(fold_models, cfg["name"], corpus.name, fo["fold"])))
        fold_results.append(evaluate_fold(cfg, corpus, fo, scores, fold_meta[-1], t0, log))
    out = record(cfg, corpus, folds, n_extra, scores, fold_results, fold_meta, time.time() - t0)
    return save_run(out, out_dir, log)


def seed_everything(cfg):
    """Seeds torch and numpy before anything random is built; one thread unless RTSER_THREADS says otherwise."""
    seed = int(cfg.get("seed", 1))
    import torch
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(int(os.environ.get("RTSER_THREADS", "1")))
    return seed


def load_data(cfg, features_dir):
    """The corpus's exported features, checked against the config's MFCC width."""
    from . import data
    return data.check_mfcc_width(data.load(features_dir), cfg)


def make_folds(cfg, corpus, features_dir, log=print):
    """The speaker-independent folds every model shares, and for torch configs the files that only train:
    other corpora (config "extra_corpora") and speed-perturbed copies ("perturbed"). Returns (the corpus followed by
    those files, folds, how many there are)."""
    from . import data, folds as foldlib
    folds = foldlib.make_folds(corpus.speakers)
    n_extra = 0
    if cfg.get("extra_corpora") and cfg["kind"] == "torch":
        # cross-corpus training: the other corpora's files (labels in this corpus's set) join every training
        # fold; folds, validation and test stay this corpus's own speakers
        root = os.path.dirname(os.path.abspath(features_dir))
        extra = [data.load(os.path.join(root, c)) for c in cfg["extra_corpora"] if c != corpus.name]
        n_target = corpus.n
        corpus = data.merge(corpus, extra)
        n_extra = corpus.n - n_target
        for fo in folds:
            fo["train"] = np.concatenate([fo["train"], np.arange(n_target, corpus.n)])
        log(f"[{cfg['name']}] + {n_extra} training files from {cfg['extra_corpora']}")
    if cfg.get("perturbed"):
        # speed-perturbed or degraded copies (audio domain, features from the same C# extractor) train only where
        # their real speaker does: a test speaker's copies never join a fold that tests that speaker
        n_target = corpus.n
        corpus = with_copies(corpus, features_dir, cfg, folds)
        n_extra += corpus.n - n_target
        log(f"[{cfg['name']}] + {corpus.n - n_target} perturbed training files ({cfg['perturbed']})")
    return corpus, folds, n_extra


class Scores:
    """What the folds' models say about their test recordings, filled fold by fold."""

    def __init__(self, corpus, n_extra):
        n = corpus.n - n_extra
        self.preds = np.full(n, -1)
        self.probs = np.full((n, len(corpus.labels)), np.nan)  # torch models: test probabilities (for seed ensembles)
        self.curve = {}  # speaker-normalised models: test probabilities per speaker-profile size
        self.curve_plain = {}  # with compensated profiles: the same with the plain means of the same recordings
        self.curve_tta = {}  # config "tta": the same with the test recording's perturbed copies averaged in


def utterance_features(cfg, corpus):
    """The baselines' utterance statistics and their names ((None, None) for torch configs, which read frames)."""
    if cfg["kind"] not in ("mlr", "svm"):
        return None, None
    from . import stats
    fs = cfg.get("feature_set", "all")
    return (stats.utterance_matrix(corpus, fs, cfg.get("prosody", False)),
            stats.names(corpus, fs, cfg.get("prosody", False)))


def fold_model_path(root, name, corpus, fold):
    """Where a run saves fold `fold`'s trained model (see run's fold_models)."""
    return os.path.join(root, name, corpus, f"fold{fold}.pt")


def train_fold(cfg, corpus, fo, n_extra, seed, X, names, scores, log=print, save_to=None):
    """Trains the fold's model on its training speakers, scores its test speakers into scores; returns the fold's
    meta (hyperparameters or training history). With save_to the trained model (and a speaker-adapted model's
    profile compensation) is saved there with the fold's test speakers."""
    saved = {"test_speakers": list(fo["test_speakers"]), "labels": list(corpus.labels), "config": cfg}
    if cfg["kind"] in ("mlr", "svm"):
        p, meta = train_baseline_fold(cfg, corpus, fo, n_extra, seed, X, names, scores, saved)
    else:
        p, meta = train_torch_fold(cfg, corpus, fo, n_extra, seed, scores, log, saved)
    if save_to:
        import torch
        os.makedirs(os.path.dirname(save_to), exist_ok=True)
        torch.save(saved, save_to)
    scores.preds[fo["test"]] = p
    return meta


def train_baseline_fold(cfg, corpus, fo, n_extra, seed, X, names, scores, saved):
    from . import baselines
    te = fo["test"]
    tr = np.concatenate([fo["train"], fo["val"]])  # no early stopping: all non-test speakers
    Xtr = X[tr]
    if cfg.get("speaker_norm"):
        from .train import speaker_offsets
        Xtr = Xtr - speaker_offsets(X, corpus.speakers, tr)
    # the inner folds that choose hyperparameters group a recording with its copies (the real speaker), or a copy of
    # an inner test recording trains and the search picks the least regularisation
    from .data import unprefixed
    pipe = baselines.fit_fold(cfg["kind"], cfg, Xtr, corpus.y[tr], unprefixed(corpus.speakers[tr]), len(corpus.labels), seed)
    saved["pipeline"] = pipe
    if cfg.get("speaker_norm"):
        p = profile_curve(scores.curve, cfg, X, corpus, te,
                          lambda offsets: baselines.predict_probabilities(pipe, X[te] - offsets),
                          compensation(cfg, X, corpus, fo, corpus.n - n_extra), scores.curve_plain).argmax(1)
    else:
        p = baselines.predict_scores(pipe, X[te]).argmax(1)
    meta = {"params": pipe["params"], "k": pipe["k"], "n_features": X.shape[1]}
    if cfg.get("selection"):
        meta["selected"] = [names[c] for c in pipe["cols"]]
    return p, meta


def train_torch_fold(cfg, corpus, fo, n_extra, seed, scores, log=print, saved=None):
    from .train import predict, train_model, utterance_stats
    te = fo["test"]
    if cfg["train"].get("validation", True):  # keep the epoch with the best UAR on the validation speakers
        model, norm, info = train_model(cfg, corpus, fo["train"], fo["val"], seed + fo["fold"], log=log)
    else:  # every non-test speaker, a fixed number of epochs: as the exported model is trained
        model, norm, info = train_model(cfg, corpus, np.concatenate([fo["train"], fo["val"]]), None,
                                        seed + fo["fold"], log=log)
    if cfg.get("speaker_norm"):
        S = utterance_stats(corpus, cfg.get("prosody", False))
        comp = compensation(cfg, S, corpus, fo, corpus.n - n_extra)
        saved["compensation"] = comp
        pr = profile_curve(scores.curve, cfg, S, corpus, te, lambda offsets: predict(model, corpus, te, offsets=offsets),
                           comp, scores.curve_plain)
        if cfg.get("tta"):
            tta_curve(scores.curve_tta, cfg, S, corpus, te,
                      lambda idx, offsets: predict(model, corpus, idx, offsets=offsets), comp)
    else:
        pr = predict(model, corpus, te)
    scores.probs[te] = pr
    saved["model"] = model
    meta = {k: info[k] for k in ("best_epoch", "best_val_uar", "seconds", "selection")}
    meta["history"] = info["history"]
    return pr.argmax(1), meta


def evaluate_fold(cfg, corpus, fo, scores, meta, t0, log=print):
    """The fold's accuracy, UAR, per-class figures and confusion on its test speakers."""
    from . import metrics
    te = fo["test"]
    r = metrics.evaluate(corpus.y[te], scores.preds[te], corpus.labels)
    r.update({"fold": fo["fold"], "test_speakers": fo["test_speakers"], "val_speakers": fo["val_speakers"]})
    log(f"[{cfg['name']}/{corpus.name}] fold {fo['fold']} test={fo['test_speakers']} "
        f"acc={r['accuracy']:.3f} uar={r['uar']:.3f} "
        + (f"best_epoch={meta.get('best_epoch')} " if "best_epoch" in meta else "")
        + f"({time.time() - t0:.0f}s)")
    return r


def record(cfg, corpus, folds, n_extra, scores, fold_results, fold_meta, seconds):
    """The run as stored: config, metrics over the folds, per-fold results, and the per-recording scores."""
    from . import metrics
    kind = cfg["kind"]
    n = corpus.n - n_extra
    out = {"name": cfg["name"], "corpus": corpus.name, "config": cfg, "labels": corpus.labels,
           "n_files": n, "n_extra_training_files": n_extra, "n_folds": len(folds), "seconds": round(seconds, 1),
           "aggregate": metrics.aggregate(fold_results, corpus.labels), "folds": fold_results, "fold_meta": fold_meta,
           "predictions": scores.preds.tolist(), "featureConfig": corpus.index.get("featureConfig")}
    if kind == "torch":
        out["probabilities"] = [[round(float(v), 6) for v in row] for row in scores.probs]
    if scores.curve:
        out["enrol_curve"] = curve_results(scores.curve, corpus, folds)
    if scores.curve_plain:
        out["enrol_curve_plain"] = curve_results(scores.curve_plain, corpus, folds)
    if scores.curve_tta:
        out["tta_curve"] = curve_results({k: v[:n] for k, v in scores.curve_tta.items()}, corpus, folds)
    if cfg.get("selection"):
        out["selection_summary"] = selection_summary(kind, corpus, fold_meta, len(folds))
    return out


def selection_summary(kind, corpus, fold_meta, n_folds):
    """Which features the folds' selections kept: those kept in every fold, and how often each was kept."""
    from collections import Counter
    cnt = Counter()
    if kind in ("mlr", "svm"):
        cnt.update(n for m in fold_meta for n in m["selected"])
    else:
        M = corpus.modulation_bands
        for m in fold_meta:
            cnt.update([f"mfcc{c}" for c in m["selection"]["mfcc_cols"]])
            cnt.update([f"ms_a{c // M}_m{c % M}" for c in m["selection"]["ms_cols"]])
    summary = {"k_per_fold": [m["k"] for m in fold_meta]} if kind in ("mlr", "svm") else {}
    summary.update({"selected_in_all_folds": sorted(n for n, c in cnt.items() if c == n_folds),
                    "counts": dict(cnt.most_common())})
    return summary


def save_run(out, out_dir, log=print):
    """Stores the run as <config>__<corpus>.json + .npz in out_dir (runs.py) and logs its figures."""
    path = os.path.join(out_dir, f"{out['name']}__{out['corpus']}.json")
    runs.save(out, path)
    agg = out["aggregate"]
    log(f"[{out['name']}/{out['corpus']}] UAR {agg['uar_mean']:.3f}±{agg['uar_sd']:.3f} "
        f"acc {agg['accuracy_mean']:.3f}±{agg['accuracy_sd']:.3f} -> {path} ({out['seconds']}s)")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--features", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--fold-models", help="also save each fold's trained model under this folder")
    a = ap.parse_args()
    run(load_config(a.config, a.smoke), a.features, a.out, log=lambda s: print(s, flush=True), fold_models=a.fold_models)


if __name__ == "__main__":
    main()
