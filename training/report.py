"""Results table (markdown + JSON) and confusion-matrix PNGs from the stored runs (training/results/runs, runs.py).

    /usr/bin/python3 -m training.report [--runs training/results/runs] [--results training/results] [--models models]

run_all calls it after the evaluations; on its own it rebuilds results.md, summary.json and the PNGs from the tracked
runs (byte for byte as committed).
"""
import argparse
import glob
import json
import os

import numpy as np

DEFAULT_MODELS = {"cnn_rnn", "cnn_rnn_prosody", "cnn_rnn_spk", "cnn_rnn_spk_frames", "cnn_rnn_spk_noval", "cnn_rnn_prosody_noval",
                  "cnn_rnn_spk_noval_sp", "cnn_rnn_spk_noval_sp_gated"}


def _pct(x):
    return f"{100 * x:.1f}"


def _row_desc(cfg):
    fs = {"all": "MFCC+MS", "mfcc": "MFCC", "ms": "MS", "none": ""}[cfg.get("feature_set", "all")]
    if cfg.get("prosody"):
        fs = f"{fs} + prosody" if fs else "prosody only"
    if cfg.get("speaker_norm"):
        fs += ", speaker-centred"
    sel = cfg.get("selection")
    if sel:
        if "k" in sel:
            sel_s = "MI top-k, k∈{" + ",".join(map(str, sel["k"])) + "} (inner CV)"
        else:
            sel_s = f"MI top-{sel['k_frame']} frame dims"
    else:
        sel_s = "–"
    return fs, sel_s


def _current_config(name):
    """The config file as it is now (comparisons may be declared after a run was made)."""
    from . import config
    if not os.path.exists(config.path_of(name)):
        return {}
    return config.by_name(name)


def _paired(pairs, corpus, what, summary):
    """Markdown lines comparing each (base, run) pair fold by fold; appends the differences to summary."""
    if not pairs:
        return []
    lines = [f"### {corpus}: {what} (paired over the same folds)", "",
             "| model | without UAR % | with UAR % | difference | paired mean ± se over folds | folds better / worse |",
             "|---|---|---|---|---|---|"]
    for base, r in pairs:
        d = np.array([f["uar"] for f in r["folds"]]) - np.array([f["uar"] for f in base["folds"]])
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        lines.append(f"| {r['config'].get('title', r['name'])} vs {base['config'].get('title', base['name'])} "
                     f"| {_pct(base['aggregate']['uar_mean'])} | {_pct(r['aggregate']['uar_mean'])} "
                     f"| {100 * (r['aggregate']['uar_mean'] - base['aggregate']['uar_mean']):+.1f} "
                     f"| {100 * d.mean():+.1f} ± {100 * se:.1f} | {int((d > 0).sum())} / {int((d < 0).sum())} |")
        summary.append({"comparison": f"{r['name']} vs {base['name']}", "corpus": corpus,
                        "uar_difference": float(r["aggregate"]["uar_mean"] - base["aggregate"]["uar_mean"]),
                        "paired_se": float(se), "folds_better": int((d > 0).sum()), "folds_worse": int((d < 0).sum())})
    return lines + [""]


def plot_confusion(cm, labels, title, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cm = np.asarray(cm, dtype=float)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.6, 4.8), dpi=110)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{int(cm[i, j])}\n{100 * norm[i, j]:.0f}%", ha="center", va="center", fontsize=7,
                    color="white" if norm[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _served_table(corpus, rs, served_dir, runs_dir, summary):
    """The served path (rtser evaluate with each fold's model, training/served.py) beside the Python figures, clean
    and under each degraded condition: the table the service is held to."""
    from . import served as servedlib
    found = servedlib.load_all(served_dir)
    rows = [(r, found[(r["name"], corpus)]) for r in rs if (r["name"], corpus) in found]
    if not rows:
        return []
    conds = [c for c in servedlib.CONDITIONS if c != "clean" and any(c in s["conditions"] for _, s in rows)]
    lines = [f"### {corpus}: through the served C# path, held-out speakers, by condition (UAR %)", "",
             "Each fold's model (training/fold_models.py) scores that fold's test speakers through `rtser evaluate`: "
             "the decoding, segmentation and scoring the service and `rtser predict` run. Clean is the corpus as it "
             "is; the other columns degrade only the test speakers' audio (tools/degrade.py), never seen in "
             "training; `joined` joins each test speaker's recordings into one long recording (1 s pauses) and reads "
             "each recording's label off its timeline. Agreement = recordings given the same label as the Python "
             "evaluation (for a model with a speaker profile: the profile of all other recordings of the speaker, both "
             "paths). Worst gap = the largest drop from clean among the degraded conditions.", "",
             "| model | Python UAR | served clean | agreement | " + " | ".join(servedlib.CONDITION_TITLES[c] for c in conds)
             + " | worst gap |", "|---|---|---|---|" + "---|" * len(conds) + "---|"]
    for r, sv in rows:
        c = sv["conditions"]
        clean = c.get("clean")
        from . import runs as runstore
        full = runstore.load(os.path.join(runs_dir, f"{r['name']}__{corpus}.json"))
        agree, _ = servedlib.agreement(sv, full) if clean else (None, None)
        py_uar = servedlib.python_predictions(full)[1]
        gaps = [clean["uar_mean"] - c[k]["uar_mean"] for k in conds if clean and k in c and k != "joined"]
        lines.append(f"| {r['config'].get('title', r['name'])} | {_pct(py_uar)} "
                     f"| {_pct(clean['uar_mean']) + ' ± ' + _pct(clean['uar_sd']) if clean else ''} "
                     f"| {f'{agree * 100:.1f} %' if clean else ''} | "
                     + " | ".join(_pct(c[k]["uar_mean"]) if k in c else "" for k in conds)
                     + f" | {_pct(max(gaps)) if gaps else ''} |")
        summary.append({"served": r["name"], "corpus": corpus,
                        "uar_by_condition": {k: v["uar_mean"] for k, v in c.items()},
                        **({"agreement": agree} if clean else {})})
    return lines + [""]


def write(runs_dir, results_dir, models_dir=None, log=print):
    from . import runs as runstore
    runs = runstore.load_all(runs_dir, arrays=False)  # the report reads no per-recording arrays
    if not runs:
        log("report: no runs")
        return
    cards = {}
    if models_dir and os.path.isdir(models_dir):
        for p in glob.glob(os.path.join(models_dir, "*.json")):
            with open(p) as f:
                c = json.load(f)
            cards[(c["config"]["name"], c["corpus"])] = c
    order = {"mlr": 0, "svm": 1, "rnn": 2, "cnn": 3, "cnn_rnn": 4}
    runs.sort(key=lambda r: (r["corpus"], r["config"].get("priority", 5), order.get(r["config"].get("model", {}).get(
        "arch", r["config"]["kind"]), 9), r["name"]))
    summary = []
    lines = ["# Results (speaker-independent)", "",
             "EmoDB: leave-one-speaker-out, 10 folds. RAVDESS actors 01-18: 6 folds of 3 actors, 7 classes (calm→neutral). "
             "Same folds for every model; mean ± sd over folds; min–max = worst/best fold UAR. "
             "UAR = unweighted average recall. Single seed (1) unless the row is a seed ensemble (then the ensemble's "
             "numbers, and its single members' listed below the table).", ""]
    for corpus in sorted(set(r["corpus"] for r in runs)):
        rs = [r for r in runs if r["corpus"] == corpus]
        lines += [f"## {corpus} ({rs[0]['n_files']} files, {rs[0]['n_folds']} folds)", "",
                  "| model | features | selection | UAR % | accuracy % | UAR min–max | params | MACs / s audio | eval time |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in rs:
            a, cfg = r["aggregate"], r["config"]
            fs, sel = _row_desc(cfg)
            card = cards.get((r["name"], corpus))
            params = f"{card['parameters']:,}" if card else ""
            macs = f"{card['macsPerSecondOfAudio'] / 1e6:.2f} M" if card else ""
            lines.append(f"| {cfg.get('title', r['name'])} | {fs} | {sel} | {_pct(a['uar_mean'])} ± {_pct(a['uar_sd'])} "
                         f"| {_pct(a['accuracy_mean'])} ± {_pct(a['accuracy_sd'])} | {_pct(a['uar_min'])}–{_pct(a['uar_max'])} "
                         f"| {params} | {macs} | {r['seconds'] / 60:.1f} min |")
            summary.append({"name": r["name"], "corpus": corpus, "title": cfg.get("title", r["name"]),
                            "feature_set": cfg.get("feature_set", "all"), "selection": cfg.get("selection"),
                            **{k: a[k] for k in ("uar_mean", "uar_sd", "accuracy_mean", "accuracy_sd", "uar_min",
                                                 "uar_max", "pooled_uar", "pooled_accuracy")},
                            "per_class": a["per_class"], "confusion": a["confusion"],
                            "per_fold_uar": [f["uar"] for f in r["folds"]],
                            "selection_summary": r.get("selection_summary"),
                            **({"members": r["members"], "member_uar_mean": r["member_uar_mean"],
                                "member_uar_sd": r["member_uar_sd"]} if r.get("members") else {}),
                            "extra_training_files": r.get("n_extra_training_files", 0)})
        lines.append("")
        lines += _served_table(corpus, rs, os.path.join(results_dir, "served"), runs_dir, summary)
        # with vs without prosody: "<base>_prosody" (and "<base>_prosody_only") against "<base>", same folds
        by_name = {r["name"]: r for r in rs}
        pairs = []
        for r in rs:
            for suffix in ("_prosody_only", "_prosody"):
                if r["name"].endswith(suffix) and r["name"][:-len(suffix)] in by_name:
                    pairs.append((by_name[r["name"][:-len(suffix)]], r))
                    break
        lines += _paired(pairs, corpus, "with vs without prosody", summary)
        # speaker profile: "<base>_spk" against "<base>_prosody", the same model without a profile
        spk = [(by_name[r["name"][:-4] + "_prosody"], r) for r in rs
               if r["name"].endswith("_spk") and r["name"][:-4] + "_prosody" in by_name]
        lines += _paired(spk, corpus, "with vs without a speaker profile (20 other recordings of the test speaker, "
                                      "labels unused)", summary)
        frames = [(by_name[r["name"][:-7]], r) for r in rs if r["name"].endswith("_frames") and r["name"][:-7] in by_name]
        lines += _paired(frames, corpus, "frame streams centred on the speaker profile too, instead of on the utterance",
                         summary)
        # any other ablation: config "compare": {"with": "<base run>", "what": "<what the run adds>"}
        whats = {}
        for r in rs:
            now = _current_config(r["name"])  # the config file decides, also to withdraw a comparison
            cmp = now.get("compare") if now else r["config"].get("compare")
            if cmp and cmp["with"] in by_name:
                whats.setdefault(cmp["what"], []).append((by_name[cmp["with"]], r))
        for what, pairs in whats.items():
            lines += _paired(pairs, corpus, what, summary)
        curves = [r for r in rs if r.get("enrol_curve")]
        if curves:
            ks = sorted({k for r in curves for k in r["enrol_curve"]}, key=lambda k: (k == "all", int(k) if k != "all" else 0))
            lines += [f"### {corpus}: UAR % by speaker-profile size (same trained models; the profile = mean statistics "
                      "of that many other recordings of the test speaker, drawn at random with a fixed seed)", "",
                      "| model | " + " | ".join(f"{k} recordings" if k != "all" else "all other recordings" for k in ks) + " |",
                      "|---|" + "---|" * len(ks)]
            for r in curves:
                lines.append(f"| {r['config'].get('title', r['name'])} | "
                             + " | ".join(f"{_pct(r['enrol_curve'][k]['uar_mean'])} ± {_pct(r['enrol_curve'][k]['uar_sd'])}"
                                          if k in r["enrol_curve"] else "" for k in ks) + " |")
                summary.append({"profile_curve": r["name"], "corpus": corpus,
                                "uar_by_profile_size": {k: v["uar_mean"] for k, v in r["enrol_curve"].items()}})
                # the same trained models scored another way: compensated profiles' plain means; test-time augmentation
                for key, how in (("enrol_curve_plain", "plain-mean profiles of the same recordings"),
                                 ("tta_curve", "each test recording averaged with its speed-perturbed copies (TTA)")):
                    if r.get(key):
                        other = r[key]
                        lines.append(f"| — the same trained models, {how} | "
                                     + " | ".join(f"{_pct(other[k]['uar_mean'])} ± {_pct(other[k]['uar_sd'])}"
                                                  if k in other else "" for k in ks) + " |")
            lines.append("")
        for r in rs:
            if r.get("members"):
                ms = r["members"]
                lines.append(f"- **{r['config'].get('title', r['name'])}**: ensemble of {len(ms)} seeds "
                             f"UAR {_pct(r['aggregate']['uar_mean'])}; its single members (seeds "
                             + ", ".join(str(m["seed"]) for m in ms) + ") "
                             + " / ".join(_pct(m["uar_mean"]) for m in ms)
                             + f", mean {_pct(r['member_uar_mean'])} ± {_pct(r['member_uar_sd'])} (sd over seeds)")
            if r.get("n_extra_training_files") and r["config"].get("perturbed"):
                lines.append(f"- **{r['config'].get('title', r['name'])}**: + {r['n_extra_training_files']} "
                             f"copies ({', '.join(r['config']['perturbed'])}: speed-perturbed `sp*`, degraded `aug*`, "
                             "joined `cat`) of the training speakers' recordings in every fold"
                             + (", one version of each recording drawn per epoch" if r["config"]["kind"] == "torch"
                                else ", all of them training rows")
                             + " (never a copy of a test speaker)")
            elif r.get("n_extra_training_files"):
                lines.append(f"- **{r['config'].get('title', r['name'])}**: + {r['n_extra_training_files']} training "
                             f"files from {', '.join(c for c in r['config'].get('extra_corpora', []) if c != corpus)} in every fold "
                             f"(test and validation speakers are this corpus's own)")
        lines.append("")
        labels = rs[0]["labels"]
        lines += [f"### {corpus}: per-class recall / precision (%, pooled over folds)", "",
                  "| model | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for r in rs:
            pc = r["aggregate"]["per_class"]
            cells = [f"{_pct(pc[l]['recall'] or 0)} / {_pct(pc[l]['precision'])}" for l in labels]
            lines.append(f"| {r['config'].get('title', r['name'])} | " + " | ".join(cells) + " |")
        lines.append("")
        for r in rs:
            if r.get("selection_summary"):
                s = r["selection_summary"]
                allf = s["selected_in_all_folds"]
                lines.append(f"- **{r['config'].get('title', r['name'])}**: "
                             + (f"k per fold {s['k_per_fold']}; " if "k_per_fold" in s else "")
                             + f"{len(allf)} features selected in every fold: "
                             + ", ".join(a.replace("ms_ms_", "ms_") for a in allf[:40]) + (" …" if len(allf) > 40 else ""))
        lines.append("")
        for r in rs:
            if r["name"] in DEFAULT_MODELS:
                png = f"confusion_{r['name']}_{corpus}.png"
                try:
                    plot_confusion(r["aggregate"]["confusion"], labels,
                                   f"{r['config'].get('title', r['name'])} – {corpus} (UAR {_pct(r['aggregate']['uar_mean'])}%)",
                                   os.path.join(results_dir, png))
                except Exception as e:  # pragma: no cover
                    log(f"report: no PNG ({e})")
                cm = r["aggregate"]["confusion"]
                lines += [f"### {corpus}: confusion matrix, {r['config'].get('title', r['name'])} (rows true, cols predicted, summed over folds)",
                          "", f"![confusion]({png})", "", "| true \\ pred | " + " | ".join(labels) + " |",
                          "|---|" + "---|" * len(labels)]
                for lab, row in zip(labels, cm):
                    lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
                lines.append("")
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(results_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log(f"report: {os.path.join(results_dir, 'results.md')} ({len(runs)} runs)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default=os.path.join(here, "results", "runs"))
    ap.add_argument("--results", default=os.path.join(here, "results"))
    ap.add_argument("--models", default=os.path.join(os.path.dirname(here), "models"))
    a = ap.parse_args()
    write(a.runs, a.results, models_dir=a.models)


if __name__ == "__main__":
    main()
