"""A channel detector in front of models that each hear one kind of audio (issue 18 item 2): the model trained on
clean speech answers clean audio, experts trained also on degraded copies answer phone lines, noisy and reverberant
rooms.

Training on degraded copies makes a model hear phones and rooms but costs it on clean speech, and one linear model
trained on every channel at once hears each worse than one trained on that channel alone; a linear detector on the
same utterance statistics tells the channels apart in held-out speakers' recordings. So the served graph is one ONNX
model with the inputs of the clean one:

    probabilities = sum_k w_k * expert_k(x),  w = P(channel | utterance statistics),  degraded = 1 - w_clean

The detector is a logistic regression on the statistics the MLR reads, fitted on the training speakers' clean
recordings against their degraded copies (tools/degrade.py; never a test speaker). A routed config names either two
halves ("clean", "robust" and the robust half's "degraded_copies") or a list of "experts" (the first the clean
model, each other with the "copies" that teach the detector its channel). The service needs no change: it is an
ordinary model with the card's inputs and outputs ("channel" adds the detector's probabilities).

    python3 -m training.route --config mlr_prosody_experts --corpus emodb \
        [--features-root /work/features] [--folds /work/folds] [--export]

Without --export: evaluates the routed model on the speaker-independent folds from the experts' saved fold models
(run `training.run_all --fold-models` for each first), writes the run `<config>__<corpus>` beside the others and each
fold's composed graph to <folds>/<config>/<corpus>/ for `rtser evaluate`. With --export: composes models/<id>.onnx
from the clean model already there and the other experts exported to a temporary folder, with a detector fitted on
every speaker, and records the routing in the card.
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
from .fold_models import ROUTING_OUTPUTS

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class _Linear:
    """What onnx_stats builds an MLR graph from (W [D, K], b [K])."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def scores(self, X):
        return X @ self.W + self.b


def experts(cfg):
    """[(channel, config name, the copies that show the detector that channel)], the clean model first (its copies
    are clean recordings too, e.g. with other silences around the speech)."""
    if "experts" in cfg:
        return [(e["channel"], e["config"], list(e.get("copies", []))) for e in cfg["experts"]]
    return [("clean", cfg["clean"], []), ("degraded", cfg["robust"], list(cfg["degraded_copies"]))]


def fit_detector(X_clean, X_channels, seed=1, C=0.1):
    """A pipeline dict for onnx_stats.build('mlr', ...) whose probabilities are [P(clean), P(channel 1), ...];
    X_channels holds one matrix per channel (its degraded copies)."""
    from sklearn.linear_model import LogisticRegression
    from .baselines import Standardizer
    X = np.concatenate([X_clean] + list(X_channels))
    y = np.concatenate([np.zeros(len(X_clean))] + [np.full(len(x), k + 1) for k, x in enumerate(X_channels)])
    std = Standardizer().fit(X)
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=seed).fit(std(X), y)
    if len(X_channels) == 1:  # binary: scores [0, z], so softmax = [1 - d, d]
        W = np.zeros((X.shape[1], 2))
        W[:, 1] = lr.coef_[0]
        b = np.array([0.0, lr.intercept_[0]])
    else:  # multinomial: softmax of the class scores
        W, b = lr.coef_.T.copy(), lr.intercept_.copy()
    return {"std": std, "cols": np.arange(X.shape[1]), "model": _Linear(W, b),
            "params": {"C": C}, "k": X.shape[1]}


def channel_probabilities(pipe, X):
    from .baselines import predict_probabilities
    return predict_probabilities(pipe, X)


def detector_graph(pipe, corpus, channels):
    from . import onnx_stats
    dims = {"F": corpus.ms[0].shape[1], "S": corpus.ms_stats.shape[1], "C": corpus.mfcc_width,
            "P": corpus.prosody_stats.shape[1]}
    return onnx_stats.build("mlr", pipe, "all", dims, list(channels), doc="RTSER channel detector", prosody=True)


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


def compose(members, detector, labels, doc):
    """One graph: sum_k w_k * member_k for every output all members share ("probabilities", "scores"), w = the
    detector's probabilities (one per member, the clean model first); the clean model's other outputs as they are (a
    speaker-adapted model's utterance_stats); "channel" = w and "degraded" = 1 - w_0. Inputs are the clean model's,
    with the batch fixed at one (the detector's statistics are per utterance)."""
    clean = members[0]
    keep = {i.name for i in clean.graph.input}
    missing = [i.name for m in list(members[1:]) + [detector] for i in m.graph.input if i.name not in keep]
    if missing:
        raise ValueError(f"the clean model lacks inputs the others read: {missing}")
    prefixes = ["clean/"] + [f"expert{k}/" for k in range(1, len(members))]
    nodes, inits = [], []
    for part, prefix in list(zip(members, prefixes)) + [(detector, "detector/")]:
        n, i = _prefixed(part.graph, prefix, keep)
        nodes += n
        inits += i
    c = lambda name, v, dt=np.float32: inits.append(onnx.numpy_helper.from_array(np.asarray(v, dtype=dt), name)) or name
    axis = c("route/axis", [1], np.int64)
    weights = []
    for k in range(len(members)):
        weights.append(f"route/w{k}")
        nodes.append(helper.make_node("Slice", ["detector/probabilities", c(f"route/from{k}", [k], np.int64),
                                                c(f"route/to{k}", [k + 1], np.int64), axis], [weights[-1]]))
    nodes.append(helper.make_node("Sub", [c("route/unit", [[1.0]]), weights[0]], ["degraded"]))
    nodes.append(helper.make_node("Identity", ["detector/probabilities"], ["channel"]))
    outputs = []
    shared = set.intersection(*({o.name for o in m.graph.output} for m in members[1:]))
    for o in clean.graph.output:
        if o.name in shared:
            terms = []
            for k, prefix in enumerate(prefixes):
                terms.append(f"route/{k}_{o.name}")
                nodes.append(helper.make_node("Mul", [f"{prefix}{o.name}", weights[k]], [terms[-1]]))
            nodes.append(helper.make_node("Sum", terms, [o.name]))
        else:
            nodes.append(helper.make_node("Identity", [f"clean/{o.name}"], [o.name]))
        out = onnx.ValueInfoProto()
        out.CopyFrom(o)
        outputs.append(out)
    outputs.append(helper.make_tensor_value_info("degraded", TensorProto.FLOAT, [1, 1]))
    outputs.append(helper.make_tensor_value_info("channel", TensorProto.FLOAT, [1, len(members)]))
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
    model.ir_version = max(m.ir_version for m in list(members) + [detector])
    helper.set_model_props(model, {"labels": ",".join(labels)})
    onnx.checker.check_model(model)
    return model


def _statistics(corpus):
    from . import stats
    return stats.utterance_matrix(corpus, "all", True)


def _channel_statistics(cfg, members, features_root, corpus, X):
    """What the detector learns each channel from: per channel, this corpus's rows (X and the clean copies for clean,
    the channel's copies for the others; each in the corpus's file order, so a fold picks its training speakers' rows)
    and all rows of the other corpora's (config detector.other_corpora: more than one studio's clean sound, and none
    of their speakers is ever a test speaker here)."""
    from . import data
    own, other = [], []
    others = [c for c in cfg["detector"].get("other_corpora", []) if c != corpus.name]
    for k, (_, _, tags) in enumerate(members):
        copies = [data.load(os.path.join(features_root, f"{corpus.name}_{t}")) for t in tags]
        for c in copies:
            assert list(c.paths) == list(corpus.paths), "a degraded copy must list the corpus's files in its order"
        own.append([X] * (k == 0) + [_statistics(c) for c in copies])
        other.append([_statistics(data.load(os.path.join(features_root, c if t == "" else f"{c}_{t}")))
                      for c in others for t in [""] * (k == 0) + tags])
    return own, other


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
    """The routed model of config cfg (kind "routed") on the folds, from its experts' fold models; saves its run and
    fold graphs."""
    from . import data, metrics
    from . import folds as foldlib
    members, name = experts(cfg), cfg["name"]
    clean_name = members[0][1]
    corpus = data.load(os.path.join(features_root, corpus_name))
    X = _statistics(corpus)
    own, other = _channel_statistics(cfg, members, features_root, corpus, X)
    from functools import lru_cache
    from . import stats

    @lru_cache(maxsize=None)
    def statistics(feature_set, prosody):  # a baseline expert's inputs, computed once for every fold
        return X if (feature_set, prosody) == ("all", True) else stats.utterance_matrix(corpus, feature_set, prosody)

    member_runs = [runs.load(os.path.join(runs_dir, f"{m}__{corpus_name}.json")) for _, m, _ in members]
    folds = foldlib.make_folds(corpus.speakers)
    P = np.full((corpus.n, len(corpus.labels)), np.nan)
    W = np.full((corpus.n, len(members)), np.nan)
    out_dir = os.path.join(folds_root, name, corpus_name)
    os.makedirs(out_dir, exist_ok=True)
    fold_results, manifest_folds = [], []
    channels = [ch for ch, _, _ in members]
    for fo in folds:
        k, te = fo["fold"], fo["test"]
        tr = np.concatenate([fo["train"], fo["val"]])
        blocks = [np.concatenate([x[tr] for x in mine] + theirs) for mine, theirs in zip(own, other)]
        det = fit_detector(blocks[0], blocks[1:], C=cfg["detector"]["C"])
        w = channel_probabilities(det, X[te])
        P[te] = sum(w[:, j, None] * _fold_probabilities(folds_root, m, corpus, k, run, te, statistics)
                    for j, ((_, m, _), run) in enumerate(zip(members, member_runs)))
        W[te] = w
        r = metrics.evaluate(corpus.y[te], P[te].argmax(1), corpus.labels)
        r.update({"fold": k, "test_speakers": fo["test_speakers"], "val_speakers": fo["val_speakers"],
                  "degraded_share": float((w[:, 0] < 0.5).mean())})
        fold_results.append(r)
        # the fold's graph for the served path: the experts' fold graphs (training/fold_models.py) and this detector
        srcs = [os.path.join(folds_root, m, corpus_name) for _, m, _ in members]
        routed = compose([onnx.load(os.path.join(src, f"fold{k}.onnx")) for src in srcs],
                         detector_graph(det, corpus, channels), corpus.labels, f"RTSER {name} fold {k}")
        onnx.save(routed, os.path.join(out_dir, f"fold{k}.onnx"))
        with open(os.path.join(srcs[0], f"fold{k}.json")) as f:
            card = json.load(f)
        card.update(id=card["id"].replace("-fold", "-routed-fold"), onnx=f"fold{k}.onnx")
        card["outputs"] = [o for o in card["outputs"] if o["name"] not in ROUTING_OUTPUTS] + [
            {"name": "degraded", "shape": [1, 1]}, {"name": "channel", "shape": [1, len(members)], "labels": channels}]
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
    alone = ", ".join(f"{ch} {run['aggregate']['uar_mean']:.3f}" for ch, run in zip(channels, member_runs))
    log(f"[{name}/{corpus_name}] UAR {a['uar_mean']:.3f}±{a['uar_sd']:.3f} (alone on clean speech: {alone}); "
        f"clean test recordings read as degraded: {(W[:, 0] < 0.5).mean():.3f}")
    return out


def export(cfg, features, runs_dir, models_dir, log=print):
    """models/<id>.onnx becomes the routed graph: the clean model already exported there, the other experts exported
    now (to a temporary folder) and a detector fitted on every speaker; the card and parity file follow."""
    from . import data, stats
    from . import config
    from .export import export as export_model
    from .run_all import corpus_config
    corpus = data.load(features)
    members = experts(cfg)
    channels = [ch for ch, _, _ in members]
    mcfgs = [corpus_config(config.by_name(m), corpus.name) for _, m, _ in members]
    for c in mcfgs:
        c.pop("_path", None)
    mid = mcfgs[0]["export"].format(corpus=corpus.name)
    card_path = os.path.join(models_dir, f"{mid}.json")
    with open(card_path) as f:
        card = json.load(f)
    if card.get("routing"):
        raise ValueError(f"{card_path} is routed already: re-export the clean model ({mcfgs[0]['name']}) first")
    tmp = tempfile.mkdtemp(prefix="rtser-experts-")
    try:
        ecards, graphs, epar = [], [onnx.load(os.path.join(models_dir, f"{mid}.onnx"))], []
        for k, ecfg in enumerate(mcfgs[1:], 1):
            out = os.path.join(tmp, str(k))
            ecards.append(export_model(ecfg, features, runs_dir, out, os.path.join(out, "checkpoints"),
                                       command=f"python3 -m training.route --config {cfg['name']} --corpus {corpus.name} --export",
                                       log=log))
            graphs.append(onnx.load(os.path.join(out, f"{mid}.onnx")))
            with open(os.path.join(out, "parity", f"{mid}.json")) as f:
                epar.append(json.load(f))
        own, other = _channel_statistics(cfg, members, os.path.dirname(os.path.abspath(features)), corpus,
                                         _statistics(corpus))
        blocks = [np.concatenate(mine + theirs) for mine, theirs in zip(own, other)]
        det = fit_detector(blocks[0], blocks[1:], C=cfg["detector"]["C"])
        onnx_path = os.path.join(models_dir, f"{mid}.onnx")
        onnx.save(compose(graphs, detector_graph(det, corpus, channels), corpus.labels, f"RTSER {mid} (routed)"), onnx_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    par_path = os.path.join(models_dir, "parity", f"{mid}.json")
    with open(par_path) as f:
        par = json.load(f)
    for i, case in enumerate(par["cases"]):
        inp = {k: np.asarray(v["data"], np.float32).reshape(v["shape"]) for k, v in case["inputs"].items()}
        row = stats.utterance_row(inp["mfcc"][0], inp["vad"][0], inp["ms_stats"][0], inp["prosody_stats"][0])[None]
        w = channel_probabilities(det, row)[0]
        probs = [case["probabilities"]] + [p["cases"][i]["probabilities"] for p in epar]
        case["probabilities"] = [float(sum(w[k] * probs[k][j] for k in range(len(w)))) for j in range(len(probs[0]))]
        case["degraded"] = float(1 - w[0])
        case["channel"] = [float(v) for v in w]
    par["note"] += "; routed: the detector's channel probabilities weigh the experts, each from its training framework"
    with open(par_path, "w") as f:
        json.dump(par, f)
    run_path = os.path.join(runs_dir, f"{cfg['name']}__{corpus.name}.json")
    routed_run = runs.load(run_path, arrays=False) if os.path.exists(run_path) else None
    card["outputs"] = card["outputs"] + [
        {"name": "degraded", "shape": [1, 1], "note": "the channel detector's 1 - P(clean): the other experts' weight"},
        {"name": "channel", "shape": [1, len(members)], "labels": channels,
         "note": "the channel detector's probabilities: each expert's weight"}]
    evaluation = lambda ec: ({k: ec["evaluation"][k] for k in ("uarMean", "uarSd", "accuracyMean")}
                             if ec.get("evaluation") else None)
    card["routing"] = {
        "config": cfg["name"],
        "experts": [{"channel": ch, "config": e[1],
                     "copies": e[2], "parameters": ec["parameters"], "evaluation": evaluation(ec),
                     "perturbedTrainingFiles": ec.get("perturbedTrainingFiles")}
                    for ch, e, ec in zip(channels[1:], members[1:], ecards)],
        "detector": {"kind": "logistic regression on the utterance statistics (MFCC statistics, ms_stats, prosody_stats)",
                     "channels": channels,
                     "trainedOn": "every speaker's recordings (clean, with its copies) against their degraded "
                                  f"copies {({ch: tags for ch, _, tags in members})} (tools/degrade.py), of this "
                                  f"corpus and of {cfg['detector'].get('other_corpora', [])}",
                     "C": cfg["detector"]["C"]},
        "note": "probabilities = sum_k P(channel k) * expert_k: the clean model answers clean audio as before, each "
                "other expert (trained also on that channel's degraded copies) the audio the detector hears as its own"}
    card["parameters"] = int(card["parameters"]) + sum(int(ec["parameters"]) for ec in ecards) + len(members) * int(det["k"])
    card["macsPerSecondOfAudio"] = int(card["macsPerSecondOfAudio"]) + sum(int(ec["macsPerSecondOfAudio"]) for ec in ecards)
    if routed_run:
        a = routed_run["aggregate"]
        card["evaluation"] = dict(card["evaluation"] or {}, uarMean=a["uar_mean"], uarSd=a["uar_sd"],
                                  accuracyMean=a["accuracy_mean"], accuracySd=a["accuracy_sd"],
                                  uarMin=a["uar_min"], uarMax=a["uar_max"],
                                  perFoldUar=[f["uar"] for f in routed_run["folds"]],
                                  perClass=a["per_class"], confusion=a["confusion"],
                                  routedNote=f"the routed model ({run_path.split('/')[-1]}); cleanOnly = the clean model alone")
        card["evaluation"]["cleanOnly"] = {"config": mcfgs[0]["name"]}
    with open(card_path, "w") as f:
        json.dump(card, f, indent=1)
    log(f"[{mid}] routed: {' + '.join(c['name'] for c in mcfgs)} + detector -> {onnx_path}")
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
