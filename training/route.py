"""A channel detector in front of two models: the one trained on clean speech answers clean audio, the one trained
also on degraded copies (`<config>_chan`) answers phone lines, noisy and reverberant rooms (issue 18 item 2).

Training on degraded copies makes a model hear phones and rooms (the per-condition table) but costs it on clean
speech; a linear detector on the same utterance statistics tells clean from degraded recordings of held-out speakers
96-100 % of the time. So the served graph is one ONNX model with three parts and the inputs of the clean one:

    probabilities = (1 - d) * clean(x) + d * robust(x),  d = P(degraded | utterance statistics)

The detector is a logistic regression on the statistics the MLR reads, fitted on the training speakers' clean
recordings against their degraded copies (tools/degrade.py aug1, aug2; never a test speaker). The service needs no
change: it is an ordinary model with the card's inputs and outputs.

    python3 -m training.route --clean cnn_rnn_prosody --robust cnn_rnn_prosody_chan --corpus emodb \
        [--features-root /work/features] [--folds /work/folds] [--export]

Without --export: evaluates the routed model on the speaker-independent folds from the two evaluations' saved fold
models (run `training.run_all --fold-models` for both first), writes the run `<clean>_routed__<corpus>` beside the
others and each fold's composed graph to <folds>/<clean>_routed/<corpus>/ for `rtser evaluate`. With --export:
composes models/<id>.onnx from the clean model already there and the robust model exported to a temporary folder,
with a detector fitted on every speaker, and records the routing in the card.
"""
import argparse
import json
import os
import shutil
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

from . import runs
from .experiment import fold_model_path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class _Linear:
    """What onnx_stats builds an MLR graph from (W [D, 2], b [2]): scores [0, z], so softmax = [1 - d, d]."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def scores(self, X):
        return X @ self.W + self.b


def fit_detector(X_clean, X_degraded, seed=1, C=0.1):
    """A pipeline dict for onnx_stats.build('mlr', ...) whose probabilities are [P(clean), P(degraded)]."""
    from sklearn.linear_model import LogisticRegression
    from .baselines import Standardizer
    X = np.concatenate([X_clean, X_degraded])
    y = np.r_[np.zeros(len(X_clean)), np.ones(len(X_degraded))]
    std = Standardizer().fit(X)
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=seed).fit(std(X), y)
    W = np.zeros((X.shape[1], 2))
    W[:, 1] = lr.coef_[0]
    return {"std": std, "cols": np.arange(X.shape[1]), "model": _Linear(W, np.array([0.0, lr.intercept_[0]])),
            "params": {"C": C}, "k": X.shape[1]}


def degraded_probability(pipe, X):
    from .baselines import predict_probabilities
    return predict_probabilities(pipe, X)[:, 1]


def detector_graph(pipe, corpus):
    from . import onnx_stats
    dims = {"F": corpus.ms[0].shape[1], "S": corpus.ms_stats.shape[1], "C": corpus.mfcc_width,
            "P": corpus.prosody_stats.shape[1]}
    return onnx_stats.build("mlr", pipe, "all", dims, ["clean", "degraded"], doc="RTSER channel detector", prosody=True)


def _prefixed(graph, prefix, keep):
    """The graph's nodes and initializers with every internal name prefixed (graph inputs in keep stay shared)."""
    rename = lambda n: n if (not n or n in keep) else prefix + n
    nodes = []
    for k, n in enumerate(graph.node):
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute):
            raise ValueError(f"{n.op_type}: subgraphs are not supported")
        m = onnx.NodeProto()
        m.CopyFrom(n)
        m.name = prefix + (n.name or f"node{k}")
        m.input[:] = [rename(i) for i in n.input]
        m.output[:] = [rename(o) for o in n.output]
        nodes.append(m)
    inits = []
    for t in graph.initializer:
        u = onnx.TensorProto()
        u.CopyFrom(t)
        u.name = rename(t.name)
        inits.append(u)
    return nodes, inits


def compose(clean, robust, detector, labels, doc):
    """One graph: (1 - d) * clean + d * robust for every output the two share ("probabilities", "scores"), the clean
    model's other outputs as they are (a speaker-adapted model's utterance_stats), and "degraded" = d. Inputs are the
    clean model's, with the batch fixed at one (the detector's statistics are per utterance)."""
    keep = {i.name for i in clean.graph.input}
    missing = [i.name for i in list(robust.graph.input) + list(detector.graph.input) if i.name not in keep]
    if missing:
        raise ValueError(f"the clean model lacks inputs the others read: {missing}")
    nodes, inits = [], []
    for part, prefix in ((clean, "clean/"), (robust, "robust/"), (detector, "detector/")):
        n, i = _prefixed(part.graph, prefix, keep)
        nodes += n
        inits += i
    c = lambda name, v, dt=np.float32: inits.append(onnx.numpy_helper.from_array(np.asarray(v, dtype=dt), name)) or name
    nodes.append(helper.make_node("Slice", ["detector/probabilities", c("route/one", [1], np.int64),
                                            c("route/two", [2], np.int64), c("route/axis", [1], np.int64)], ["degraded"]))
    nodes.append(helper.make_node("Sub", [c("route/unit", [[1.0]]), "degraded"], ["route/clean_weight"]))
    outputs = []
    robust_outs = {o.name for o in robust.graph.output}
    for o in clean.graph.output:
        if o.name in robust_outs:
            nodes += [helper.make_node("Mul", [f"clean/{o.name}", "route/clean_weight"], [f"route/c_{o.name}"]),
                      helper.make_node("Mul", [f"robust/{o.name}", "degraded"], [f"route/r_{o.name}"]),
                      helper.make_node("Add", [f"route/c_{o.name}", f"route/r_{o.name}"], [o.name])]
        else:
            nodes.append(helper.make_node("Identity", [f"clean/{o.name}"], [o.name]))
        out = onnx.ValueInfoProto()
        out.CopyFrom(o)
        outputs.append(out)
    outputs.append(helper.make_tensor_value_info("degraded", TensorProto.FLOAT, [1, 1]))
    inputs = []
    for i in clean.graph.input:
        v = onnx.ValueInfoProto()
        v.CopyFrom(i)
        v.type.tensor_type.shape.dim[0].ClearField("dim_param")
        v.type.tensor_type.shape.dim[0].dim_value = 1
        inputs.append(v)
    graph = helper.make_graph(nodes, "rtser_routed", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="rtser-training",
                              doc_string=doc)
    model.ir_version = max(clean.ir_version, robust.ir_version, detector.ir_version)
    helper.set_model_props(model, {"labels": ",".join(labels)})
    onnx.checker.check_model(model)
    return model


def _statistics(corpus):
    from . import stats
    return stats.utterance_matrix(corpus, "all", True)


def _fold_probabilities(folds_root, name, corpus, k, run, te, statistics):
    """A fold model's probabilities on the test rows te: a torch run stores them; a baseline is rescored on
    statistics(feature_set, prosody), the corpus's utterance statistics."""
    import torch
    from .baselines import predict_probabilities
    if run.get("probabilities") is not None:
        return np.asarray(run["probabilities"])[te]
    saved = torch.load(fold_model_path(folds_root, name, corpus.name, k), weights_only=False)
    cfg = saved["config"]
    return predict_probabilities(saved["pipeline"], statistics(cfg.get("feature_set", "all"), bool(cfg.get("prosody", False)))[te])


def evaluate(cfg, features_root, folds_root, runs_dir, log=print, corpus_name="emodb"):
    """The routed model of config cfg (configs/<clean>_routed.json: kind "routed", clean, robust) on the folds, from
    the two evaluations' fold models; saves its run and fold graphs."""
    from . import data, metrics
    from . import folds as foldlib
    clean_name, robust_name, name = cfg["clean"], cfg["robust"], cfg["name"]
    corpus = data.load(os.path.join(features_root, corpus_name))
    copies = [data.load(os.path.join(features_root, f"{corpus_name}_{t}")) for t in cfg["degraded_copies"]]
    X = _statistics(corpus)
    Xd = [_statistics(c) for c in copies]
    from functools import lru_cache
    from . import stats

    @lru_cache(maxsize=None)
    def statistics(feature_set, prosody):  # a baseline half's inputs, computed once for every fold
        return X if (feature_set, prosody) == ("all", True) else stats.utterance_matrix(corpus, feature_set, prosody)

    for c in copies:
        assert list(c.paths) == list(corpus.paths), "a degraded copy must list the corpus's files in its order"
    run_c = runs.load(os.path.join(runs_dir, f"{clean_name}__{corpus_name}.json"))
    run_r = runs.load(os.path.join(runs_dir, f"{robust_name}__{corpus_name}.json"))
    folds = foldlib.make_folds(corpus.speakers)
    P = np.full((corpus.n, len(corpus.labels)), np.nan)
    D = np.full(corpus.n, np.nan)
    out_dir = os.path.join(folds_root, name, corpus_name)
    os.makedirs(out_dir, exist_ok=True)
    fold_results, manifest_folds = [], []
    for fo in folds:
        k, te = fo["fold"], fo["test"]
        tr = np.concatenate([fo["train"], fo["val"]])
        det = fit_detector(X[tr], np.concatenate([x[tr] for x in Xd]), C=cfg["detector"]["C"])
        d = degraded_probability(det, X[te])
        pc = _fold_probabilities(folds_root, clean_name, corpus, k, run_c, te, statistics)
        pr = _fold_probabilities(folds_root, robust_name, corpus, k, run_r, te, statistics)
        P[te] = (1 - d[:, None]) * pc + d[:, None] * pr
        D[te] = d
        r = metrics.evaluate(corpus.y[te], P[te].argmax(1), corpus.labels)
        r.update({"fold": k, "test_speakers": fo["test_speakers"], "val_speakers": fo["val_speakers"],
                  "degraded_share": float((d > 0.5).mean())})
        fold_results.append(r)
        # the fold's graph for the served path: the two fold graphs (training/fold_models.py) and this detector
        src_c, src_r = (os.path.join(folds_root, n, corpus_name) for n in (clean_name, robust_name))
        routed = compose(onnx.load(os.path.join(src_c, f"fold{k}.onnx")), onnx.load(os.path.join(src_r, f"fold{k}.onnx")),
                         detector_graph(det, corpus), corpus.labels, f"RTSER {name} fold {k}")
        onnx.save(routed, os.path.join(out_dir, f"fold{k}.onnx"))
        with open(os.path.join(src_c, f"fold{k}.json")) as f:
            card = json.load(f)
        card.update(id=card["id"].replace("-fold", "-routed-fold"), onnx=f"fold{k}.onnx")
        card["outputs"] = card["outputs"] + [{"name": "degraded", "shape": [1, 1]}]
        with open(os.path.join(out_dir, f"fold{k}.json"), "w") as f:
            json.dump(card, f)
        manifest_folds.append({"fold": k, "testSpeakers": fo["test_speakers"], "card": f"fold{k}.json"})
        log(f"[{name}/{corpus_name}] fold {k} uar={r['uar']:.3f} degraded share of clean test {r['degraded_share']:.3f}")
    with open(os.path.join(folds_root, clean_name, corpus_name, "manifest.json")) as f:
        mid = json.load(f)["modelId"]
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"config": name, "corpus": corpus_name, "modelId": mid, "labels": corpus.labels,
                   "folds": manifest_folds}, f, indent=1)
    out = {"name": name, "corpus": corpus_name, "config": cfg, "labels": corpus.labels, "n_files": corpus.n,
           "n_folds": len(folds), "seconds": 0.0, "aggregate": metrics.aggregate(fold_results, corpus.labels),
           "folds": fold_results, "fold_meta": [{} for _ in folds], "predictions": P.argmax(1).tolist(),
           "probabilities": [[round(float(v), 6) for v in row] for row in P],
           "featureConfig": corpus.index.get("featureConfig")}
    runs.save(out, os.path.join(runs_dir, f"{name}__{corpus_name}.json"))
    a = out["aggregate"]
    log(f"[{name}/{corpus_name}] UAR {a['uar_mean']:.3f}±{a['uar_sd']:.3f} (clean {run_c['aggregate']['uar_mean']:.3f}, "
        f"robust {run_r['aggregate']['uar_mean']:.3f}); clean test recordings read as degraded: {(D > 0.5).mean():.3f}")
    return out


def export(cfg, features, runs_dir, models_dir, log=print):
    """models/<id>.onnx becomes the routed graph: the clean model already exported there, the robust config exported
    now (to a temporary folder) and a detector fitted on every speaker; the card and parity file follow."""
    from . import data, stats
    from . import config
    from .export import export as export_model
    from .run_all import corpus_config
    corpus = data.load(features)
    ccfg = corpus_config(config.by_name(cfg["clean"]), corpus.name)
    rcfg = corpus_config(config.by_name(cfg["robust"]), corpus.name)
    for c in (ccfg, rcfg):
        c.pop("_path", None)
    mid = ccfg["export"].format(corpus=corpus.name)
    card_path = os.path.join(models_dir, f"{mid}.json")
    with open(card_path) as f:
        card = json.load(f)
    if card.get("routing"):
        raise ValueError(f"{card_path} is routed already: re-export the clean model ({ccfg['name']}) first")
    tmp = tempfile.mkdtemp(prefix="rtser-robust-")
    try:
        rcard = export_model(rcfg, features, runs_dir, tmp, os.path.join(tmp, "checkpoints"),
                             command=f"python3 -m training.route --config {cfg['name']} --corpus {corpus.name} --export", log=log)
        copies = [data.load(f"{os.path.abspath(features)}_{t}") for t in cfg["degraded_copies"]]
        det = fit_detector(_statistics(corpus), np.concatenate([_statistics(c) for c in copies]), C=cfg["detector"]["C"])
        onnx_path = os.path.join(models_dir, f"{mid}.onnx")
        routed = compose(onnx.load(onnx_path), onnx.load(os.path.join(tmp, f"{mid}.onnx")), detector_graph(det, corpus),
                         corpus.labels, f"RTSER {mid} (routed)")
        onnx.save(routed, onnx_path)
        with open(os.path.join(tmp, "parity", f"{mid}.json")) as f:
            rpar = json.load(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    par_path = os.path.join(models_dir, "parity", f"{mid}.json")
    with open(par_path) as f:
        par = json.load(f)
    for case, rcase in zip(par["cases"], rpar["cases"]):
        inp = {k: np.asarray(v["data"], np.float32).reshape(v["shape"]) for k, v in case["inputs"].items()}
        row = stats.utterance_row(inp["mfcc"][0], inp["vad"][0], inp["ms_stats"][0], inp["prosody_stats"][0])[None]
        d = float(degraded_probability(det, row)[0])
        case["probabilities"] = [(1 - d) * a + d * b for a, b in zip(case["probabilities"], rcase["probabilities"])]
        case["degraded"] = d
    par["note"] += "; routed: (1 - degraded) * clean + degraded * robust, each from its training framework"
    with open(par_path, "w") as f:
        json.dump(par, f)
    run_path = os.path.join(runs_dir, f"{cfg['name']}__{corpus.name}.json")
    routed_run = runs.load(run_path, arrays=False) if os.path.exists(run_path) else None
    card["outputs"] = card["outputs"] + [{"name": "degraded", "shape": [1, 1],
                                          "note": "the channel detector's P(degraded): the robust model's weight"}]
    card["routing"] = {
        "robustModel": {"config": rcfg["name"], "parameters": rcard["parameters"],
                        "evaluation": {k: rcard["evaluation"][k] for k in ("uarMean", "uarSd", "accuracyMean")}
                        if rcard.get("evaluation") else None,
                        "perturbedTrainingFiles": rcard.get("perturbedTrainingFiles")},
        "detector": {"kind": "logistic regression on the utterance statistics (MFCC statistics, ms_stats, prosody_stats)",
                     "trainedOn": f"every speaker's recordings (clean) against their degraded copies {cfg['degraded_copies']} "
                                  "(tools/degrade.py)", "C": cfg["detector"]["C"]},
        "note": "probabilities = (1 - d) * clean + d * robust, d = P(degraded); the clean model answers clean "
                "audio as before, the model trained also on degraded copies answers phone lines, noise and rooms"}
    card["parameters"] = int(card["parameters"]) + int(rcard["parameters"]) + 2 * int(det["k"])
    card["macsPerSecondOfAudio"] = int(card["macsPerSecondOfAudio"]) + int(rcard["macsPerSecondOfAudio"])
    if routed_run:
        a = routed_run["aggregate"]
        card["evaluation"] = dict(card["evaluation"] or {}, uarMean=a["uar_mean"], uarSd=a["uar_sd"],
                                  accuracyMean=a["accuracy_mean"], accuracySd=a["accuracy_sd"],
                                  uarMin=a["uar_min"], uarMax=a["uar_max"],
                                  perFoldUar=[f["uar"] for f in routed_run["folds"]],
                                  perClass=a["per_class"], confusion=a["confusion"],
                                  routedNote=f"the routed model ({run_path.split('/')[-1]}); cleanOnly = the clean model alone")
        card["evaluation"]["cleanOnly"] = {"config": ccfg["name"]}
    with open(card_path, "w") as f:
        json.dump(card, f, indent=1)
    log(f"[{mid}] routed: {ccfg['name']} + {rcfg['name']} + detector -> {onnx_path}")
    return card


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="a routed config's name (configs/<clean>_routed.json) or path")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--folds", default="/work/folds")
    ap.add_argument("--runs", default=os.path.join(HERE, "results", "runs"))
    ap.add_argument("--models", default=os.path.join(REPO, "models"))
    ap.add_argument("--export", action="store_true")
    a = ap.parse_args()
    from . import config
    from .run_all import corpus_config
    cfg = corpus_config(config.load(a.config) if a.config.endswith(".json") else config.by_name(a.config), a.corpus)
    cfg.pop("_path", None)
    log = lambda s: print(s, flush=True)
    if a.export:
        export(cfg, os.path.join(a.features_root, a.corpus), a.runs, a.models, log=log)
    else:
        evaluate(cfg, a.features_root, a.folds, a.runs, log=log, corpus_name=a.corpus)

if __name__ == "__main__":
    main()
