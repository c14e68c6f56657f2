"""Retrain a model on all speakers of a corpus, export ONNX + model card + parity sample.

    python3 -m training.export --config training/configs/cnn_rnn.json --features /work/features/emodb \
        --runs training/results/runs --models models
The number of epochs for torch models = median best epoch over the evaluation folds (from the CV run).
"""
import argparse
import datetime
import json
import os
import pickle
import subprocess

import numpy as np

from . import profiles, runs

LANG = {"emodb": "de", "ravdess": "en"}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kept_recommendation(card_path):
    """The 'recommended' block of the card being replaced, if any: which model answers a language by default is chosen
    across models after their evaluation (docs/accuracy.md), not by one model's export, so a re-export keeps it."""
    try:
        with open(card_path) as f:
            block = json.load(f).get("recommended")
    except (OSError, ValueError):
        return {}
    return {"recommended": block} if block else {}


def git_commit():
    try:
        c = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "training", ":!training/results", ":!training/README.md", ":!training/research.md"], cwd=REPO, capture_output=True,
                               text=True).stdout.strip()
        return c + ("+dirty-training" if dirty else "")
    except Exception:
        return "unknown"


def protocol_training(cfg, kind):
    """How each fold's torch model was trained, for the card's protocol line."""
    if kind != "torch":
        return ""
    text = ("; early stopping on validation speaker(s) from the training speakers" if cfg["train"].get("validation", True)
            else f"; no validation speaker: every non-test speaker trains for a fixed {cfg['train']['epochs']} epochs")
    if cfg.get("perturbed"):
        text += (f"; speed-perturbed copies ({', '.join(cfg['perturbed'])}) of the training speakers' recordings, "
                 "never of a test speaker, one version of each recording drawn per epoch")
    return text


def parity_indices(corpus):
    lens = np.array([len(m) for m in corpus.mfcc])
    order = np.argsort(lens, kind="stable")
    picks = [order[0], order[len(order) // 2], order[-1]]
    # one more of a different class
    for i in order[::max(1, len(order) // 7)]:
        if corpus.y[i] not in corpus.y[picks]:
            picks.append(i)
            break
    return [int(i) for i in dict.fromkeys(picks)]


def _three_seconds(corpus, i):
    """(T, Tm, reps): 3 s of MFCC-rate and MS frames, and how often utterance i must repeat to fill both."""
    T = int(round(3.0 / corpus.mfcc_shift))
    Tm = int(round(3.0 / corpus.ms_shift)) - 3
    return T, Tm, int(np.ceil(max(T / len(corpus.mfcc[i]), Tm / len(corpus.ms[i]))))


def three_second_case(corpus, i):
    """A 3 s input (300 MFCC frames, 44 MS frames) made by tiling a real utterance: the timing case."""
    T, Tm, reps = _three_seconds(corpus, i)
    m, s, v = corpus.mfcc[i], corpus.ms[i], corpus.vad[i]
    return (np.concatenate([m] * reps)[:T], np.concatenate([v] * reps)[:T], np.concatenate([s] * reps)[:Tm],
            corpus.ms_stats[i], prosody_of(corpus, i))


def three_second_prosody(corpus, i):
    """The prosody frames of three_second_case, tiled the same way (for graphs that read the prosody stream)."""
    T, _, reps = _three_seconds(corpus, i)
    return np.concatenate([corpus.prosody[i]] * reps)[:T]


def prosody_of(corpus, i):
    return corpus.prosody_stats[i] if corpus.has_prosody else None


def segment_margin(corpus):
    """The silence its clips keep around speech: the median over clips of the mean of their leading and trailing
    non-speech (vad) time, seconds. The service cuts long recordings into segments with this margin for the model
    (card segmentMarginSeconds), because the utterance statistics count that silence."""
    m = []
    for v in corpus.vad:
        s = np.flatnonzero(np.asarray(v) > 0)
        if len(s):
            m.append((s[0] + len(v) - 1 - s[-1]) / 2 * corpus.mfcc_shift)
    return round(float(np.median(m)), 3) if m else None


def tensor_json(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(x) for x in a.ravel()]}


ONNX_AXES = {"mfcc": {0: "batch", 1: "frames"}, "ms": {0: "batch", 1: "ms_frames"}, "vad": {0: "batch", 1: "frames"},
             "ms_stats": {0: "batch"}, "prosody_stats": {0: "batch"}, "speaker_mean": {0: "batch"},
             "prosody": {0: "batch", 1: "frames"}}


def torch_inputs(names, mf, vad, ms, st, ps, sm=None, pr=None):
    """One utterance's streams as the torch graph's inputs named names, in that order, with a batch of one."""
    import torch
    t = {"mfcc": mf, "ms": ms, "vad": np.asarray(vad, np.float32), "ms_stats": st, "prosody_stats": ps,
         "speaker_mean": sm, "prosody": pr}
    return [torch.from_numpy(np.ascontiguousarray(t[n][None], dtype=np.float32)) for n in names]


def write_torch_onnx(graph, names, out_names, example, path, mid, labels):
    """The torch graph as ONNX (opset 17, batch and frame axes dynamic, labels in the model's properties), checked."""
    import onnx
    import torch
    torch.onnx.export(graph, tuple(example), path, input_names=names, output_names=out_names,
                      dynamic_axes={**{n: ONNX_AXES[n] for n in names}, **{o: {0: "batch"} for o in out_names}},
                      opset_version=17, do_constant_folding=True)
    om = onnx.load(path)
    om.doc_string = f"RTSER {mid}"
    onnx.helper.set_model_props(om, {"labels": ",".join(labels)})
    onnx.checker.check_model(om)
    onnx.save(om, path)


def export(cfg, features, runs_dir, models_dir, checkpoints_dir, command="", log=print):
    seed = int(cfg.get("seed", 1))
    import torch
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(int(os.environ.get("RTSER_THREADS", "1")))
    from . import baselines, data, onnx_stats, stats

    corpus = data.check_mfcc_width(data.load(features), cfg)
    mid = cfg["export"].format(corpus=corpus.name)
    K = len(corpus.labels)
    allidx = np.arange(corpus.n)
    run_path = os.path.join(runs_dir, f"{cfg['name']}__{corpus.name}.json")
    run = runs.load(run_path, arrays=False) if os.path.exists(run_path) else None
    os.makedirs(os.path.join(models_dir, "parity"), exist_ok=True)
    os.makedirs(checkpoints_dir, exist_ok=True)
    onnx_path = os.path.join(models_dir, f"{mid}.onnx")
    picks = parity_indices(corpus)
    cases = []
    profile_case = None  # speaker-adapted models with compensated profiles: rows -> profile, for the C# twin
    kind = cfg["kind"]
    fs = cfg.get("feature_set", "all")
    pros = bool(cfg.get("prosody", False))
    if pros:
        corpus.require_prosody()
    card_extra = {}
    if kind in ("mlr", "svm"):
        train_corpus = corpus
        if cfg.get("perturbed"):  # degraded copies of every speaker, as in the evaluation (experiment.make_folds)
            train_corpus = data.merge(corpus, data.load_perturbed(features, cfg["perturbed"]))
            card_extra["perturbedTrainingFiles"] = {"copies": cfg["perturbed"], "files": int(train_corpus.n - corpus.n)}
        X = stats.utterance_matrix(train_corpus, fs, pros)
        pipe = baselines.fit_fold(kind, cfg, X, train_corpus.y, train_corpus.speakers, K, seed)
        dims = {"F": corpus.ms[0].shape[1], "S": corpus.ms_stats.shape[1], "C": corpus.mfcc_width,
                "P": corpus.prosody_stats.shape[1] if pros else 0}
        model = onnx_stats.build(kind, pipe, fs, dims, corpus.labels, doc=f"RTSER {mid}", prosody=pros)
        import onnx
        onnx.save(model, onnx_path)
        with open(os.path.join(checkpoints_dir, f"{mid}.pkl"), "wb") as f:
            pickle.dump({"config": cfg, "pipeline": pipe, "labels": corpus.labels,
                         "featureConfig": corpus.index.get("featureConfig")}, f)

        def ref(mf, vad, ms, st, ps):
            return baselines.predict_probabilities(pipe, stats.utterance_row(mf, vad, st, ps if pros else None, fs)[None])[0]

        def case(mf, vad, ms, st, ps, timing=False):
            inp = {}
            if fs in ("all", "mfcc"):
                inp["mfcc"] = tensor_json(mf[None])
                inp["vad"] = tensor_json(vad[None].astype(np.float32))
            if fs in ("all", "ms"):
                inp["ms_stats"] = tensor_json(st[None])
            if pros:
                inp["prosody_stats"] = tensor_json(ps[None])
            return {"inputs": inp, "probabilities": [float(p) for p in ref(mf, vad, ms, st, ps)], "timing": timing}

        for i in picks:
            c = case(corpus.mfcc[i], corpus.vad[i], corpus.ms[i], corpus.ms_stats[i], prosody_of(corpus, i))
            c["file"] = corpus.paths[i]
            cases.append(c)
        cases.append(case(*three_second_case(corpus, picks[0]), timing=True))
        n_par = int(pipe["cols"].size * K + K) if kind == "mlr" else int(pipe["model"].sv.size + pipe["model"].coef.size + K)
        D = int(pipe["cols"].size)
        # MACs per second of audio: statistics ~ a few ops per input value, plus the classifier
        stat_macs = 100 * corpus.mfcc_width * 6 + int(round(1 / corpus.ms_shift)) * dims["F"] * 3  # incl. C# ms_stats
        clf_macs = D * K if kind == "mlr" else pipe["model"].sv.shape[0] * (D + K)
        macs = stat_macs + clf_macs  # the classifier runs once per utterance; counted once per second here
        inputs = []
        if fs in ("all", "mfcc"):
            inputs += [{"name": "mfcc", "shape": [1, "frames", corpus.mfcc_width], "dtype": "float32"},
                       {"name": "vad", "shape": [1, "frames"], "dtype": "float32", "note": "1.0 = speech frame (vad.npy)"}]
        if fs in ("all", "ms"):
            inputs += [{"name": "ms_stats", "shape": [1, dims["S"]], "dtype": "float32",
                        "note": "utterance statistics, order = statisticNames"}]
        if pros:
            inputs += [{"name": "prosody_stats", "shape": [1, dims["P"]], "dtype": "float32",
                        "note": "C# prosody functionals, order = prosody statisticNames"}]
        outputs = [{"name": "probabilities", "shape": [1, K], "note": "softmax of scores"},
                   {"name": "scores", "shape": [1, K],
                    "note": "MLR: regression outputs; SVM: one-vs-rest decision values"}]
        card_extra = {"hyperparameters": {k: (float(v) if isinstance(v, (int, float)) else v)
                                          for k, v in pipe["params"].items()},
                      "nStatistics": int(X.shape[1]), "nSelected": D,
                      "probabilityNote": ("softmax over the regression outputs (not calibrated)" if kind == "mlr" else
                                           "softmax over the one-vs-rest RBF-SVM decision values (not Platt-calibrated)")}
        if kind == "svm":
            card_extra["hyperparameters"]["gamma"] = float(pipe["model"].gamma)
            card_extra["supportVectors"] = int(pipe["model"].sv.shape[0])
    else:
        from .models import count_macs, n_params
        from .train import predict, train_model
        if run:
            epochs = int(np.median([m["best_epoch"] for m in run["fold_meta"]]))
            epochs = max(epochs, 5) if not cfg.get("smoke") else 1
        else:
            epochs = cfg["train"]["epochs"]
        train_corpus = corpus
        if cfg.get("extra_corpora"):  # cross-corpus training data, as in the evaluation (experiment.py)
            root = os.path.dirname(os.path.abspath(features))
            train_corpus = data.merge(corpus, [data.load(os.path.join(root, c)) for c in cfg["extra_corpora"]
                                               if c != corpus.name])
            card_extra["extraTrainingFiles"] = {"corpora": [c for c in cfg["extra_corpora"] if c != corpus.name],
                                                  "files": int(train_corpus.n - corpus.n)}
        if cfg.get("perturbed"):  # speed-perturbed copies of every speaker, as in the evaluation
            n0 = train_corpus.n
            train_corpus = data.merge(train_corpus, data.load_perturbed(features, cfg["perturbed"]))
            card_extra["perturbedTrainingFiles"] = {
                "copies": cfg["perturbed"], "files": int(train_corpus.n - n0),
                "how": "per copy <tag> = sp<factor>: bash tools/perturb.sh <dataset> <dataset>_<tag> <factor>, then rtser "
                       "export of it to <features>_<tag>; each epoch draws one version of every recording"}
        log(f"[{mid}] training on all {train_corpus.n} files for {epochs} epochs")
        if cfg.get("seeds"):  # seed ensemble: one member per seed, all on all speakers, averaged in one graph
            from .models import Ensemble
            members, infos = [], []
            for s in cfg["seeds"]:
                mcfg = dict(cfg, seed=int(s))
                m, norm, info = train_model(mcfg, train_corpus, np.arange(train_corpus.n), None, int(s),
                                            epochs=epochs, log=log)
                members.append(m.eval())
                infos.append(info)
            model = Ensemble(members)
            info = {"seconds": round(sum(i["seconds"] for i in infos), 1), "selection": infos[0].get("selection")}
            card_extra["ensemble"] = {"seeds": [int(s) for s in cfg["seeds"]],
                                      "note": "output = mean of the members' probabilities"}
        else:
            model, norm, info = train_model(cfg, train_corpus, np.arange(train_corpus.n), None, seed, epochs=epochs,
                                            log=log)
        model.eval()
        torch.save({"config": cfg, "state_dict": model.state_dict(), "norm": norm, "labels": corpus.labels,
                    "featureConfig": corpus.index.get("featureConfig"), "epochs": epochs,
                    "dims": {"A": corpus.acoustic_bands, "M": corpus.modulation_bands}},
                   os.path.join(checkpoints_dir, f"{mid}.pt"))
        names = model.input_names  # ["mfcc", "ms"] (+ "vad", "ms_stats" (+ "prosody_stats") with a statistics branch)
        # (+ "speaker_mean" for speaker-normalised models, which also output their raw utterance statistics)
        spk = bool(getattr(model, "uses_speaker", False))
        out_names = ["probabilities"] + (["utterance_stats"] if spk else [])
        graph = model
        if spk:
            from .models import WithUtteranceStats
            from .train import speaker_offsets, utterance_stats
            from .experiment import ENROL_SEED
            graph = WithUtteranceStats(model).eval()
            S_raw = utterance_stats(corpus, pros)
            enrol = cfg["speaker_norm"].get("enrol", 20)
            # parity cases: each file's speaker profile as the evaluation built it (enrol other recordings)
            spk_mean = {int(i): speaker_offsets(S_raw, corpus.speakers, [int(i)], enrol, ENROL_SEED)[0]
                        for i in picks}

        pros_frames = bool(getattr(model, "prosody_frames", False))

        def frames_of(i):
            return corpus.prosody[i] if pros_frames else None

        def tensors(mf, vad, ms, st, ps, sm=None, pr=None):
            return torch_inputs(names, mf, vad, ms, st, ps, sm, pr)

        i0 = picks[0]
        write_torch_onnx(graph, names, out_names,
                         tensors(corpus.mfcc[i0], corpus.vad[i0], corpus.ms[i0], corpus.ms_stats[i0],
                                 prosody_of(corpus, i0), spk_mean[i0] if spk else None, frames_of(i0)),
                         onnx_path, mid, corpus.labels)

        def case(mf, vad, ms, st, ps, sm=None, pr=None, timing=False):
            ts = tensors(mf, vad, ms, st, ps, sm, pr)
            with torch.no_grad():
                out = graph(*ts)
            c = {"inputs": {n: tensor_json(t.numpy()) for n, t in zip(names, ts)}, "timing": timing}
            if spk:
                c["probabilities"] = [float(x) for x in out[0][0].numpy()]
                c["utterance_stats"] = [float(x) for x in out[1][0].numpy()]
            else:
                c["probabilities"] = [float(x) for x in out[0].numpy()]
            return c

        for i in picks:
            c = case(corpus.mfcc[i], corpus.vad[i], corpus.ms[i], corpus.ms_stats[i], prosody_of(corpus, i),
                     spk_mean[i] if spk else None, frames_of(i))
            c["file"] = corpus.paths[i]
            cases.append(c)
        cases.append(case(*three_second_case(corpus, picks[0]), sm=spk_mean[picks[0]] if spk else None,
                          pr=three_second_prosody(corpus, picks[0]) if pros_frames else None, timing=True))
        n_par = n_params(model)
        macs = count_macs(model, T=int(round(1 / corpus.mfcc_shift)),
                          n_prosody=corpus.prosody_stats.shape[1] if model.uses_prosody else 0)
        inputs = [{"name": "mfcc", "shape": ["batch", "frames", corpus.mfcc_width], "dtype": "float32",
                   "note": "raw MFCC frames from the C# extractor, 100 Hz; no normalisation (inside the graph)"},
                  {"name": "ms", "shape": ["batch", "ms_frames", corpus.ms[0].shape[1]], "dtype": "float32",
                   "note": "raw modulation-spectral frames (acoustic-major a*M+m), 64 ms hop"}]
        if model.uses_stats:
            inputs += [{"name": "vad", "shape": ["batch", "frames"], "dtype": "float32",
                        "note": "1.0 = speech frame (vad.npy); for the MFCC statistics of the statistics branch"},
                       {"name": "ms_stats", "shape": ["batch", corpus.ms_stats.shape[1]], "dtype": "float32",
                        "note": "C# utterance statistics of the MS frames, order = statisticNames"}]
        if model.uses_stats and model.uses_prosody:
            inputs += [{"name": "prosody_stats", "shape": ["batch", corpus.prosody_stats.shape[1]], "dtype": "float32",
                        "note": "C# prosody functionals, order = prosody statisticNames"}]
        if pros_frames:
            inputs += [{"name": "prosody", "shape": ["batch", "frames", 5], "dtype": "float32",
                        "note": "C# prosody frames (f0_semitones, voicing, voiced, energy_db, lowband_db), same frames "
                                "as mfcc; made relative to the speaker_mean profile inside the graph"}]
        outputs = [{"name": "probabilities", "shape": ["batch", K]}]
        if spk:
            D = int(S_raw.shape[1])
            inputs += [{"name": "speaker_mean", "shape": ["batch", D], "dtype": "float32",
                        "note": "mean of utterance_stats over earlier recordings of the same speaker (the profile)"}]
            outputs += [{"name": "utterance_stats", "shape": ["batch", D],
                         "note": "this recording's raw utterance statistics, the unit a speaker profile averages"}]
            card_extra["speakerAdaptation"] = {
                "input": "speaker_mean", "statisticsOutput": "utterance_stats", "dimensions": D,
                # the most recent recordings the service averages (config service_profile; the evaluation's
                # uarByProfileSize says what each size is worth), by default the evaluation's profile size
                "profileRecordings": int(cfg.get("service_profile", enrol)),
                "fallbackModel": f"cnn-rnn-{corpus.name}",
                "note": "the statistics branch sees utterance_stats - speaker_mean"
                        + (f"; the frame streams are centred on the profile's MFCC and MS means (speaker_mean[0:{corpus.mfcc_width}], "
                           f"speaker_mean[{5 * corpus.mfcc_width}:{5 * corpus.mfcc_width}+A*M]) instead of their own" if cfg["speaker_norm"].get("frames") else "")
                        + f"; evaluated with profiles of {enrol} other recordings of each test speaker (labels never "
                        "used) and by profile size (evaluation.uarByProfileSize); training speakers centred on the "
                        "mean of all their recordings"
                        + (f"; the service averages a speaker's latest {cfg['service_profile']} recordings"
                           if cfg.get("service_profile") else "")}
            if cfg["speaker_norm"].get("compensate"):
                # emotion-compensated profiles (training/profiles.py), fitted on every speaker's own recordings;
                # the parity file checks the C# twin on a skewed profile: one speaker's recordings of one emotion
                comp = profiles.fit(S_raw, corpus.y, corpus.speakers, np.arange(corpus.n), K, seed)
                comp_card = profiles.to_card(profiles.with_gate(comp, profiles.gate_of(cfg["speaker_norm"]["compensate"])))
                card_extra["speakerAdaptation"]["compensation"] = comp_card
                gate = comp_card["gate"]
                card_extra["speakerAdaptation"]["note"] += ("; profiles are emotion-compensated: the mean minus the mean "
                                                            "per-recording posterior times the classes' offsets "
                                                            "(compensation)"
                                                            + (f", when some emotion's mean posterior exceeds {gate}"
                                                               if gate else ""))
                # the case: up to 8 recordings of one emotion of one speaker, the emotion whose profile reads most
                # clearly as itself (so the gate opens and the compensation is exercised)
                served = profiles.from_card(comp_card)  # the float32 numbers C# reads
                first = np.where(corpus.speakers == corpus.speakers[picks[0]])[0]
                by_class = [S_raw[first[corpus.y[first] == k]][:8] for k in range(K)]
                rows = max((r for r in by_class if len(r)), key=lambda r: profiles.posteriors(served, r).mean(0).max())
                profile_case = {"rows": [[float(v) for v in r] for r in rows],
                                "profile": [float(v) for v in profiles.compensated(served, rows)]}
        card_extra.update({"epochs": epochs, "architecture": cfg["model"], "augmentation": cfg.get("augment", {}),
                      "train": cfg["train"],
                      "preprocessing": "none outside the graph: per-dimension mean/std of the training data are "
                                       "constants in the graph; MS frames are mapped onto the model's 40 ms grid "
                                       "inside the graph by k = clamp(floor(40 j / 64) - 1, 0, Tms - 1); needs "
                                       "at least 4 MFCC frames and 1 MS frame",
                      "trainingSeconds": info["seconds"]})
        if cfg["model"].get("utterance_mean"):
            card_extra["preprocessing"] += ("; after standardisation the utterance mean over frames of every MFCC and MS "
                                            "dimension is subtracted (CMN) for the sequence branch")
        if model.uses_stats:
            card_extra["preprocessing"] += ("; statistics branch: mean/std/min/max of the MFCCs over speech frames "
                                            "(vad > 0.5; all frames if < 2) and the std of their deltas, computed in "
                                            "the graph, concatenated with ms_stats"
                                            + (" and prosody_stats" if model.uses_prosody else "")
                                            + " and standardised with training constants")
        if info.get("selection"):
            card_extra["frameSelection"] = info["selection"]
    par = {"id": mid, "tolerance": 1e-4, "outputName": "probabilities", "labels": corpus.labels,
           "note": "inputs -> expected probabilities from the training framework "
                   + ("(torch, eval mode)" if kind == "torch" else "(numpy/sklearn float64)")
                   + "; the case with timing=true is a 3 s clip", "cases": cases}
    if profile_case:
        par["profileCase"] = dict(profile_case, note="rows of utterance_stats -> the compensated speaker profile "
                                                     "(training/profiles.py with the card's float32 numbers)")
    with open(os.path.join(models_dir, "parity", f"{mid}.json"), "w") as f:
        json.dump(par, f)
    evaluation = None
    if run:
        a = run["aggregate"]
        evaluation = {
            "protocol": ("leave-one-speaker-out, 10 folds" if corpus.name == "emodb" else
                         "6 actor-grouped folds of 3 actors (actors 01-18)") +
                        "; no speaker in train and test; normalisation/selection/hyperparameters fitted on "
                        "training speakers only" + protocol_training(cfg, kind),
            "uarMean": a["uar_mean"], "uarSd": a["uar_sd"], "accuracyMean": a["accuracy_mean"],
            "accuracySd": a["accuracy_sd"], "uarMin": a["uar_min"], "uarMax": a["uar_max"],
            "perClass": a["per_class"], "confusion": a["confusion"], "confusionNote": "rows = true, cols = predicted, "
            "summed over folds", "perFoldUar": [f["uar"] for f in run["folds"]],
            "nFiles": run["n_files"], "nFolds": run["n_folds"]}
        if run.get("members"):
            evaluation["seedMembers"] = {"note": "the evaluated model is the average of these single-seed models; "
                                                  "their own UAR (mean over folds) per seed",
                                          "uarMeanPerSeed": {str(m["seed"]): m["uar_mean"] for m in run["members"]},
                                          "uarMeanOverSeeds": run["member_uar_mean"],
                                          "uarSdOverSeeds": run["member_uar_sd"]}
        if run.get("enrol_curve"):
            evaluation["protocol"] += ("; test speakers' statistics centred on a profile of other recordings of the "
                                       "same speaker (random, seeded), never the scored one")
            evaluation["uarByProfileSize"] = {k: v["uar_mean"] for k, v in run["enrol_curve"].items()}
        if run.get("enrol_curve_plain"):
            gate = profiles.gate_of(cfg["speaker_norm"].get("compensate"))
            evaluation["protocol"] += ("; the profile is emotion-compensated (speakerAdaptation.compensation, fitted "
                                       "on the fold's training speakers)"
                                       + (f" when some emotion's mean posterior exceeds {gate}" if gate else "")
                                       + "; uarByProfileSizePlainMean: the same models with plain-mean profiles")
            evaluation["uarByProfileSizePlainMean"] = {k: v["uar_mean"] for k, v in run["enrol_curve_plain"].items()}
        if run.get("n_extra_training_files"):  # perturbed copies: of every speaker; a fold uses its training speakers'
            key = "perturbedCopies" if cfg.get("perturbed") else "extraTrainingFiles"
            evaluation[key] = run["n_extra_training_files"]
    card_path = os.path.join(models_dir, f"{mid}.json")
    card = {
        "id": mid, "corpus": corpus.name, "language": LANG.get(corpus.name, "unknown"), **kept_recommendation(card_path),
        "kind": kind,
        "labels": corpus.labels, "onnx": f"{mid}.onnx", "opset": 17,
        "featureConfig": corpus.index.get("featureConfig"),
        "features": {"sampleRate": corpus.index.get("sampleRate"), "mfcc": corpus.index["mfcc"],
                     "modulation": corpus.index["modulation"], "vad": corpus.index["vad"],
                     **({"prosody": corpus.index["prosody"]} if corpus.has_prosody else {})},
        "featureSet": fs, "inputs": inputs, "outputs": outputs, "segmentMarginSeconds": segment_margin(corpus),
        "parameters": int(n_par), "macsPerSecondOfAudio": int(macs),
        "evaluation": evaluation, "trainingData": {"files": corpus.n, "speakers": sorted(set(corpus.speakers.tolist()))},
        "trainingCommand": command, "config": cfg, "gitCommit": git_commit(),
        "created": datetime.datetime.utcnow().replace(microsecond=0).isoformat() + "Z",
        "parity": f"parity/{mid}.json",
    }
    card.update(card_extra)
    with open(card_path, "w") as f:
        json.dump(card, f, indent=1)
    log(f"[{mid}] exported {onnx_path} params={n_par} MACs/s={macs}")
    return card


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--features", required=True)
    ap.add_argument("--runs", default="training/results/runs")
    ap.add_argument("--models", default="models")
    ap.add_argument("--checkpoints", default="training/checkpoints")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    from .experiment import load_config
    cfg = load_config(a.config, a.smoke)
    export(cfg, a.features, a.runs, a.models, a.checkpoints,
           command="python3 -m training.export --config %s --features %s" % (a.config, a.features),
           log=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
