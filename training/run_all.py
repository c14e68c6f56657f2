"""One command for the whole of issue 4: evaluation of every config on every corpus (same
speaker-independent folds), results table, then final models retrained on all speakers and
exported to ONNX with model cards and parity samples.

    python3 -m training.run_all                   # full run on /work/features/{emodb,ravdess}
    python3 -m training.run_all --smoke           # CI: synthetic data, 1 epoch, a few seconds
    python3 -m training.run_all --only cnn_rnn,svm --corpora emodb --jobs 2 --no-export

Results: training/results/runs/<config>__<corpus>.json, training/results/results.md,
training/results/summary.json, confusion PNGs; models: models/<id>.onnx, .json, parity/<id>.json.
A run whose stored config equals the current one is reused (use --force to redo).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from . import runs

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def corpus_config(cfg, corpus):
    """Merge per-corpus overrides ("overrides": {"ravdess": {...}}) into a copy of the config."""
    cfg = json.loads(json.dumps(cfg))
    over = cfg.pop("overrides", {}).get(corpus, {})
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k].update(v)
        else:
            cfg[k] = v
    return cfg


def same_training(a, b):
    """Stored run config vs current config: equal apart from keys that do not change what is trained."""
    from .experiment import COSMETIC_KEYS
    strip = lambda c: {k: v for k, v in (c or {}).items() if k not in COSMETIC_KEYS}
    return a is not None and strip(a) == strip(b)


def load_configs(only=None):
    """Every config in training/configs, base chains resolved (training/config.py)."""
    from . import config
    cfgs = []
    for name, c in config.all_configs().items():
        c["_path"] = os.path.relpath(config.path_of(name), REPO)
        if only and c["name"] not in only:
            continue
        cfgs.append(c)
    cfgs.sort(key=lambda c: (c.get("priority", 5), c["name"]))
    return cfgs


def run_jobs(jobs, n_parallel, log):
    """jobs: list of (label, argv, logfile). Runs n_parallel at a time at nice 10."""
    pending, running, failed = list(jobs), [], []
    while pending or running:
        while pending and len(running) < n_parallel:
            label, argv, logfile = pending.pop(0)
            os.makedirs(os.path.dirname(logfile), exist_ok=True)
            fh = open(logfile, "w")
            env = dict(os.environ, RTSER_THREADS="1", OMP_NUM_THREADS="1")
            p = subprocess.Popen(["nice", "-n", "10"] + argv, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, env=env)
            running.append((label, p, fh, time.time()))
            log(f"start {label}")
        time.sleep(0.5)
        for item in list(running):
            label, p, fh, t0 = item
            if p.poll() is not None:
                fh.close()
                running.remove(item)
                log(f"done  {label} rc={p.returncode} ({time.time() - t0:.0f}s)")
                if p.returncode != 0:
                    failed.append(label)
    return failed


def ortcheck(models_dir, out, log):
    """ONNX Runtime parity of the exported models, by the C# test suite the service's CI runs (ParityTests)."""
    if not shutil.which("dotnet"):
        log("parity: no dotnet, skipped")
        return
    if os.path.abspath(models_dir) != os.path.join(REPO, "models"):
        log("parity: ParityTests check the repository's models/ only, skipped for " + models_dir)
        return
    p = subprocess.run(["dotnet", "test", os.path.join(REPO, "tests", "Rtser.Inference.Tests"), "-c", "Release",
                        "--filter", "FullyQualifiedName~ParityTests", "--logger", "console;verbosity=normal"],
                       cwd=REPO, capture_output=True, text=True)
    with open(out, "w") as f:
        f.write(p.stdout + p.stderr)
    log("parity (ONNX Runtime from C#, 1e-4): " + ("passed" if p.returncode == 0 else "FAILED, see " + out))


def features_dir(root, corpus, cfg):
    """<root>/<corpus>, or <root>/<corpus>_<variant> for a config trained on another feature export (config
    "features": the name of training/features/<variant>.json, exported with rtser export --feature-config)."""
    return os.path.join(root, corpus + (f"_{cfg['features']}" if cfg.get("features") else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features-root", default="/work/features")
    ap.add_argument("--corpora", default="emodb,ravdess")
    ap.add_argument("--only", default="", help="comma-separated config names")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--models", default=os.path.join(REPO, "models"))
    ap.add_argument("--checkpoints", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="synthetic data, 1 epoch, into a temp dir")
    ap.add_argument("--fold-models", help="save every fold's model under this folder and export them as ONNX "
                                          "(training/fold_models.py) for rtser evaluate")
    a = ap.parse_args()
    t_all = time.time()
    py = sys.executable or "/usr/bin/python3"
    only = set(filter(None, a.only.split(",")))
    corpora = [c for c in a.corpora.split(",") if c]

    def log(s):
        print(f"[run_all {time.time() - t_all:6.0f}s] {s}", flush=True)

    tmp = None
    if a.smoke:
        from .make_synthetic import make
        tmp = tempfile.mkdtemp(prefix="rtser-smoke-")
        make(os.path.join(tmp, "features", "emodb"), "emodb", speakers=3, per_class=2, fixed_seconds=2.0)
        make(os.path.join(tmp, "features", "ravdess"), "ravdess", speakers=4, per_class=2, seed=1)
        for k, tag in enumerate(("sp0.9", "sp1.1")):  # stand-ins for the speed-perturbed copies (same files)
            make(os.path.join(tmp, "features", f"emodb_{tag}"), "emodb", speakers=3, per_class=2, fixed_seconds=2.0,
                 seed=10 + k)
            make(os.path.join(tmp, "features", f"ravdess_{tag}"), "ravdess", speakers=4, per_class=2, seed=20 + k)
        a.features_root = os.path.join(tmp, "features")
        a.results, a.models, a.checkpoints = (os.path.join(tmp, d) for d in ("results", "models", "checkpoints"))
        a.force = True
        if not only:
            only = {"mlr", "svm", "svm_sel", "rnn", "cnn", "cnn_rnn", "mlr_prosody", "svm_prosody", "cnn_rnn_prosody",
                    "mlr_spk", "cnn_rnn_spk_noval_sp_gated"}
    cfgs = load_configs(only)
    runs_dir = os.path.join(a.results, "runs")
    cfg_dir = os.path.join(a.results, "resolved_configs")
    os.makedirs(cfg_dir, exist_ok=True)
    jobs, routed = [], []
    for c in cfgs:
        for corpus in corpora:
            if corpus not in c.get("corpora", ["emodb", "ravdess"]):
                continue
            feat = features_dir(a.features_root, corpus, c)
            if not os.path.exists(os.path.join(feat, "index.json")):
                log(f"skip {c['name']}/{corpus}: no {feat}/index.json")
                continue
            rc = corpus_config(c, corpus)
            rc.pop("_path")
            rc_path = os.path.join(cfg_dir, f"{c['name']}__{corpus}.json")
            with open(rc_path, "w") as f:
                json.dump(rc, f, indent=1)
            out = os.path.join(runs_dir, f"{c['name']}__{corpus}.json")
            if c["kind"] == "routed":  # needs both halves' fold models (--fold-models); after the other evaluations
                if a.fold_models:
                    routed.append((f"route {c['name']}/{corpus}",
                                   [py, "-m", "training.route", "--config", rc_path, "--corpus", corpus, "--features-root",
                                    a.features_root, "--folds", a.fold_models, "--runs", runs_dir],
                                   os.path.join(a.results, "logs", f"{c['name']}__{corpus}.log")))
                continue
            from .experiment import fold_model_path
            from .fold_models import member_names
            folds_missing = a.fold_models and not os.path.exists(
                fold_model_path(a.fold_models, member_names(rc)[0], corpus, 0))
            if (not a.force and not folds_missing and os.path.exists(out)
                    and same_training(runs.load(out, arrays=False).get("config"), rc)):
                log(f"reuse {c['name']}/{corpus}")
                continue
            argv = [py, "-m", "training.experiment", "--config", rc_path, "--features", feat, "--out", runs_dir]
            if a.smoke:
                argv.append("--smoke")
            if a.fold_models:
                argv += ["--fold-models", a.fold_models]
            jobs.append((f"eval {c['name']}/{corpus}", argv, os.path.join(a.results, "logs", f"{c['name']}__{corpus}.log")))
    failed = []
    if not a.no_eval and jobs:
        log(f"{len(jobs)} evaluation jobs, {a.jobs} at a time")
        failed += run_jobs(jobs, a.jobs, log)
    if a.fold_models and not a.no_eval:
        fm = [(f"fold models {c['name']}/{corpus}",
               [py, "-m", "training.fold_models", "--config", os.path.join(cfg_dir, f"{c['name']}__{corpus}.json"),
                "--features", features_dir(a.features_root, corpus, c), "--saved", a.fold_models, "--models", a.models],
               os.path.join(a.results, "logs", f"folds_{c['name']}__{corpus}.log"))
              # every evaluated config that names a model id (its card is the fold cards' template), exported or
              # not (a routed config's robust half has "export_corpora": [])
              for c in cfgs if c.get("export") and c["kind"] != "routed" for corpus in corpora
              if corpus in c.get("corpora", ["emodb", "ravdess"])
              and os.path.exists(os.path.join(cfg_dir, f"{c['name']}__{corpus}.json"))]
        failed += run_jobs(fm, a.jobs, log)
    if not a.no_eval and routed:  # composed from its experts' fold graphs, so after those
        failed += run_jobs(routed, a.jobs, log)
    from . import report
    report.write(runs_dir, a.results, models_dir=a.models, log=log)
    if not a.no_export:
        ex, ex_routed = [], []
        for c in cfgs:
            if not c.get("export"):
                continue
            for corpus in corpora:
                if corpus not in c.get("export_corpora", c.get("corpora", ["emodb", "ravdess"])):
                    continue
                feat = features_dir(a.features_root, corpus, c)
                if not os.path.exists(os.path.join(feat, "index.json")):
                    continue
                rc_path = os.path.join(cfg_dir, f"{c['name']}__{corpus}.json")
                if c["kind"] == "routed":  # composed over the clean model's export, so after it
                    ex_routed.append((f"export {c['name']}/{corpus}",
                                      [py, "-m", "training.route", "--config", rc_path, "--corpus", corpus, "--export",
                                       "--features-root", a.features_root, "--runs", runs_dir, "--models", a.models],
                                      os.path.join(a.results, "logs", f"export_{c['name']}__{corpus}.log")))
                    continue
                argv = [py, "-m", "training.export", "--config", rc_path, "--features", feat, "--runs", runs_dir,
                        "--models", a.models, "--checkpoints", a.checkpoints]
                if a.smoke:
                    argv.append("--smoke")
                ex.append((f"export {c['name']}/{corpus}", argv,
                           os.path.join(a.results, "logs", f"export_{c['name']}__{corpus}.log")))
        failed += run_jobs(ex, a.jobs, log)
        failed += run_jobs(ex_routed, a.jobs, log)
        if not a.smoke:
            report.write(runs_dir, a.results, models_dir=a.models, log=log)
            ortcheck(a.models, os.path.join(a.results, "ortcheck.txt"), log)
    if a.smoke:
        import onnx
        n = 0
        for p in glob.glob(os.path.join(a.models, "*.onnx")):
            onnx.checker.check_model(onnx.load(p))
            n += 1
        log(f"smoke: {n} ONNX models pass onnx.checker")
        ok = n > 0 and not failed
        if failed:
            for lf in glob.glob(os.path.join(a.results, "logs", "*.log")):
                print(open(lf).read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        ok = not failed
    log(("FAILED: " + ", ".join(failed)) if failed else f"all done in {time.time() - t_all:.0f}s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
