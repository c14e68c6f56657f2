"""The served path's held-out figures: `rtser evaluate` outputs gathered into training/results/served/.

    bash tools/served-eval.sh                       # every fold-model set under /work/folds, every condition
    python3 -m training.served --evaluations /work/served --features-root /work/features
    python3 -m training.served --table              # docs/accuracy.md's table

`rtser evaluate` scores each fold's test speakers with that fold's model (training/fold_models.py) through the C#
path the service and `rtser predict` run, on the clean corpus and on its degraded copies (tools/degrade.py). This
keeps, per config and corpus, one small JSON: each condition's UAR over the same folds, and for the clean corpus
the label index the service gave every recording, in the Python export's file order (-1 = no_speech), so
training/tests/test_served.py can hold it against the Python evaluation's predictions without the corpora.
"""
import argparse
import glob
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CONDITIONS = ["clean", "phone", "noise10", "noise0_5", "babble10", "reverb", "joined"]
CONDITION_TITLES = {"clean": "clean", "phone": "phone (300-3400 Hz, 8 kHz, mu-law)", "noise10": "pink noise 10 dB",
                    "noise0_5": "pink noise 0-5 dB", "babble10": "babble 10 dB", "reverb": "room, RT60 0.4-0.9 s",
                    "joined": "a speaker's recordings joined into one long recording"}


def gather(evaluations, features_root, out_dir, log=print):
    """Collects every `rtser evaluate` JSON under evaluations into out_dir/<config>__<corpus>.json."""
    found = {}
    for path in sorted(glob.glob(os.path.join(evaluations, "*.json"))):
        with open(path) as f:
            e = json.load(f)
        found.setdefault((e["config"], e["corpus"]), {})[e["condition"]] = e
    os.makedirs(out_dir, exist_ok=True)
    for (config, corpus), by_condition in sorted(found.items()):
        with open(os.path.join(features_root, corpus, "index.json")) as f:
            order = [fi["path"] for fi in json.load(f)["files"]]
        out = {"config": config, "corpus": corpus, "conditions": {}}
        for cond, e in sorted(by_condition.items(), key=lambda kv: CONDITIONS.index(kv[0]) if kv[0] in CONDITIONS else 99):
            labels = e["labels"]
            c = {"uar_mean": e["uarMean"], "uar_sd": e["uarSd"], "accuracy_mean": e["accuracyMean"],
                 "per_fold_uar": [fo["uar"] for fo in e["folds"]], "no_speech": sum(fo["noSpeech"] for fo in e["folds"]),
                 "n_files": len(e["files"])}
            if e.get("joined"):
                c["joined"] = True
            if cond == "clean":
                by_path = {fi["path"]: (labels.index(fi["predicted"]) if fi["predicted"] in labels else -1)
                           for fi in e["files"]}
                missing = [p for p in order if p not in by_path]
                if missing:
                    raise ValueError(f"{config}/{corpus}: the served evaluation lacks {len(missing)} files, e.g. {missing[0]}")
                c["predictions"] = [by_path[p] for p in order]
            out["conditions"][cond] = c
        path = os.path.join(out_dir, f"{config}__{corpus}.json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
        log(f"[served] {config}/{corpus}: " + ", ".join(f"{k} {v['uar_mean'] * 100:.1f}" for k, v in out["conditions"].items()))
    return found


def load_all(served_dir=os.path.join(HERE, "results", "served")):
    """{(config, corpus): served results} from the tracked files."""
    out = {}
    for path in sorted(glob.glob(os.path.join(served_dir, "*.json"))):
        with open(path) as f:
            s = json.load(f)
        out[(s["config"], s["corpus"])] = s
    return out


def python_predictions(run):
    """The Python evaluation's label per recording that the served path is held against: for a speaker-adapted model
    the profile of all other recordings of the speaker (what `rtser evaluate` builds), else the run's own."""
    curve = run.get("enrol_curve") or {}
    if "all" in curve:
        # rows past n_files are the training-only perturbed copies (NaN, never scored)
        return np.asarray(curve["all"]["probabilities"])[:run["n_files"]].argmax(1), curve["all"]["uar_mean"]
    return np.asarray(run["predictions"]), run["aggregate"]["uar_mean"]


def agreement(served, run):
    """(share of recordings given the same label by both paths, served clean UAR - Python UAR); run with its arrays."""
    pred, uar = python_predictions(run)
    a = np.array(served["conditions"]["clean"]["predictions"])
    return float((a == pred).mean()), served["conditions"]["clean"]["uar_mean"] - uar


# The table docs/accuracy.md shows: each shipped model (and what a routed one is made of), in this order.
SHIPPED_ROWS = [
    ("emodb", "cnn_rnn_prosody_experts", "**`cnn-rnn-emodb`** (German default, four experts)"),
    ("emodb", "cnn_rnn_prosody", "— its clean expert alone (3 seeds; shipped until 2026-12-07)"),
    ("emodb", "cnn_rnn_prosody_routed", "— one robust CNN-RNN for every channel instead (shipped on 2026-12-07)"),
    ("emodb", "mlr_prosody_experts", "`mlr-emodb` (five experts)"),
    ("emodb", "mlr_prosody", "— its clean expert alone (shipped until 2026-12-07)"),
    ("emodb", "mlr_prosody_routed", "— one robust MLR for every channel instead (shipped on 2026-12-07)"),
    ("emodb", "svm_prosody", "`svm-emodb`"), ("emodb", "cnn", "`cnn-emodb`"), ("emodb", "rnn", "`rnn-emodb`"),
    ("emodb", "cnn_rnn_spk_noval_sp_gated", "`cnn-rnn-spk-emodb` (with a profile, see below)"),
    ("ravdess", "mlr_prosody_experts", "**`mlr-ravdess`** (English default, five experts)"),
    ("ravdess", "mlr_prosody", "— its clean expert alone (shipped until 2026-12-07)"),
    ("ravdess", "mlr_prosody_routed", "— one robust MLR for every channel instead (shipped on 2026-12-07)"),
    ("ravdess", "svm_prosody", "`svm-ravdess`"), ("ravdess", "cnn", "`cnn-ravdess`"), ("ravdess", "rnn", "`rnn-ravdess`"),
    ("ravdess", "cnn_rnn_prosody", "`cnn-rnn-ravdess`"),
    ("ravdess", "cnn_rnn_spk_noval_sp_gated", "`cnn-rnn-spk-ravdess` (with a profile, see below)"),
]


def docs_table(results=os.path.join(HERE, "results")):
    """The markdown table of docs/accuracy.md from the tracked served and Python runs (UAR %)."""
    from . import runs
    found = load_all(os.path.join(results, "served"))
    conds = ["phone", "noise10", "noise0_5", "babble10", "reverb", "joined"]
    lines = ["| corpus | model | Python | served clean | same label | phone | noise 10 dB | noise 0-5 dB | babble 10 dB "
             "| room | joined |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    missing = []
    for corpus, config, title in SHIPPED_ROWS:
        if (config, corpus) not in found:
            missing.append(f"{config}/{corpus}")
            continue
        s = found[(config, corpus)]
        run = runs.load(os.path.join(results, "runs", f"{config}__{corpus}.json"))
        same, _ = agreement(s, run)
        c = s["conditions"]
        lines.append(f"| {'EmoDB' if corpus == 'emodb' else 'RAVDESS'} | {title} | {python_predictions(run)[1] * 100:.1f} "
                     f"| {c['clean']['uar_mean'] * 100:.1f} | {same * 100:.1f} % | "
                     + " | ".join(f"{c[k]['uar_mean'] * 100:.1f}" if k in c else "" for k in conds) + " |")
    return "\n".join(lines) + (f"\n\nNot measured: {', '.join(missing)}" if missing else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evaluations", default="/work/served")
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "served"))
    ap.add_argument("--table", action="store_true", help="print docs/accuracy.md's table from the tracked results")
    a = ap.parse_args()
    if a.table:
        print(docs_table())
        return
    gather(a.evaluations, a.features_root, a.out, log=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
