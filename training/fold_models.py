"""Each evaluation fold's model as ONNX + card, so the served C# path can score that fold's held-out speakers
(`rtser evaluate`) with exactly the model the Python evaluation scored them with.

    python3 -m training.experiment --config ... --features /work/features/emodb --out /tmp/runs --fold-models /work/folds
    python3 -m training.fold_models --config mlr_prosody --features /work/features/emodb --saved /work/folds

The evaluation saves every fold's trained model (experiment.fold_model_path); this writes, beside them,
<saved>/<config>/<corpus>/fold<k>.onnx and fold<k>.json (the shipped card of the same model id with this fold's
id, graph, test speakers and profile compensation; no fallback model), and manifest.json listing the folds.
A seed ensemble's fold model averages its members' fold models in one graph, as the shipped model does.
"""
import argparse
import json
import os

import numpy as np

from . import profiles
from .experiment import fold_model_path, load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


ROUTING_OUTPUTS = ("degraded", "channel")  # what training/route.py adds to a card


def member_names(cfg):
    return [f"{cfg['name']}__seed{s}" for s in cfg["seeds"]] if cfg.get("seeds") and cfg["kind"] == "torch" \
        else [cfg["name"]]


def write(cfg, features, saved_root, models_dir=os.path.join(REPO, "models"), log=print):
    import torch
    from . import data
    corpus = data.load(features)
    mid = cfg["export"].format(corpus=corpus.name)
    with open(os.path.join(models_dir, f"{mid}.json")) as f:
        template = json.load(f)  # inputs, outputs, features: the fold models are the same architecture
    out_dir = os.path.join(saved_root, cfg["name"], corpus.name)
    os.makedirs(out_dir, exist_ok=True)
    folds = []
    k = 0
    while os.path.exists(fold_model_path(saved_root, member_names(cfg)[0], corpus.name, k)):
        parts = [torch.load(fold_model_path(saved_root, n, corpus.name, k), weights_only=False)
                 for n in member_names(cfg)]
        fid = f"{mid}-fold{k}"
        onnx_path = os.path.join(out_dir, f"fold{k}.onnx")
        card = {key: v for key, v in template.items() if key not in ("recommended", "parity", "evaluation", "routing")}
        # a routed model's card is the template of its experts' folds too; their graphs have no detector outputs
        card["outputs"] = [o for o in card["outputs"] if o["name"] not in ROUTING_OUTPUTS]
        card.update(id=fid, onnx=f"fold{k}.onnx",
                    evaluation={"fold": k, "testSpeakers": parts[0]["test_speakers"],
                                "note": "this fold's model from the speaker-independent evaluation; never trained on "
                                        "its test speakers"})
        if cfg["kind"] in ("mlr", "svm"):
            write_baseline(cfg, corpus, parts[0]["pipeline"], onnx_path, fid)
        else:
            write_torch(cfg, corpus, [p["model"] for p in parts], onnx_path, fid)
        if card.get("speakerAdaptation"):
            comp = parts[0].get("compensation")
            card["speakerAdaptation"] = dict(card["speakerAdaptation"], fallbackModel=None)
            if comp is not None:
                card["speakerAdaptation"]["compensation"] = profiles.to_card(comp)
            else:
                card["speakerAdaptation"].pop("compensation", None)
        with open(os.path.join(out_dir, f"fold{k}.json"), "w") as f:
            json.dump(card, f)
        folds.append({"fold": k, "testSpeakers": parts[0]["test_speakers"], "card": f"fold{k}.json"})
        k += 1
    if not folds:
        raise FileNotFoundError(f"no saved fold models for {cfg['name']}/{corpus.name} under {saved_root}")
    manifest = {"config": cfg["name"], "corpus": corpus.name, "modelId": mid, "labels": corpus.labels, "folds": folds}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    log(f"[{cfg['name']}/{corpus.name}] {len(folds)} fold models -> {out_dir}")
    return manifest


def write_baseline(cfg, corpus, pipe, path, fid):
    import onnx
    from . import onnx_stats
    pros = bool(cfg.get("prosody", False))
    dims = {"F": corpus.ms[0].shape[1], "S": corpus.ms_stats.shape[1], "C": corpus.mfcc_width,
            "P": corpus.prosody_stats.shape[1] if pros else 0}
    onnx.save(onnx_stats.build(cfg["kind"], pipe, cfg.get("feature_set", "all"), dims, corpus.labels,
                               doc=f"RTSER {fid}", prosody=pros), path)


def write_torch(cfg, corpus, members, path, fid):
    from .export import torch_inputs, write_torch_onnx
    from .models import Ensemble, WithUtteranceStats
    members = [m.eval() for m in members]
    model = Ensemble(members).eval() if len(members) > 1 else members[0]
    spk = bool(getattr(model, "uses_speaker", False))
    graph = WithUtteranceStats(model).eval() if spk else model
    i = 0  # any utterance traces the graph
    profile = None
    if spk:
        from .train import utterance_stats
        profile = utterance_stats(corpus, bool(cfg.get("prosody", False)))[i]
    example = torch_inputs(model.input_names, corpus.mfcc[i], corpus.vad[i], corpus.ms[i], corpus.ms_stats[i],
                           corpus.prosody_stats[i] if corpus.has_prosody else None, profile,
                           corpus.prosody[i] if corpus.has_prosody else None)
    write_torch_onnx(graph, model.input_names, ["probabilities"] + (["utterance_stats"] if spk else []), example, path,
                     fid, corpus.labels)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="a config name or path")
    ap.add_argument("--features", required=True)
    ap.add_argument("--saved", required=True, help="the folder the evaluation saved its fold models in")
    ap.add_argument("--models", default=os.path.join(REPO, "models"))
    a = ap.parse_args()
    path = a.config if a.config.endswith(".json") else os.path.join(REPO, "training", "configs", a.config + ".json")
    from .run_all import corpus_config
    with open(os.path.join(a.features, "index.json")) as f:
        corpus = json.load(f)["corpus"]
    cfg = corpus_config(load_config(path), corpus)
    write(cfg, a.features, a.saved, a.models, log=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
