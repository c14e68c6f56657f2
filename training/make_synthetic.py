"""Write a small synthetic feature export in exactly the C# exporter's format.

Random features with class-dependent shifts and speaker-dependent offsets, so a classifier
can learn something and speaker-independent folds matter. Used for development and for the
CI smoke run (`python3 -m training.run_all --smoke`).

    python3 -m training.make_synthetic --out /tmp/synth [--corpus emodb|ravdess] [--speakers 4]
"""
import argparse
import json
import os

import numpy as np

EMODB_LABELS = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "bored"]
RAVDESS_LABELS = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


# The C# prosody functionals' names in their order (models.prosody_frame_features reads some by position).
PROSODY_NAMES = ["pr_voiced_fraction", "pr_f0_mean", "pr_f0_std", "pr_f0_p10", "pr_f0_p50", "pr_f0_p90", "pr_f0_range",
                 "pr_f0_slope", "pr_f0_delta", "pr_voicing_mean", "pr_hnr_mean", "pr_energy_mean", "pr_energy_std",
                 "pr_energy_range", "pr_energy_slope", "pr_energy_delta", "pr_lowband_mean", "pr_lowband_std",
                 "pr_voiced_runs_per_s", "pr_voiced_run_s", "pr_speech_fraction"]


def make(out, corpus="emodb", speakers=4, per_class=4, acoustic_bands=19, modulation_bands=5,
         seed=0, fixed_seconds=None, n_mfcc=13):
    rng = np.random.default_rng(seed)
    labels = EMODB_LABELS if corpus == "emodb" else RAVDESS_LABELS
    A, M = acoustic_bands, modulation_bands
    F = A * M
    # like the C# extractor: per-cell mean and std over frames, then 3 descriptors per modulation band
    stat_names = ([f"mean_a{a}_m{m}" for a in range(A) for m in range(M)] + [f"std_a{a}_m{m}" for a in range(A) for m in range(M)]
                  + [f"{d}_m{m}" for d in ("centroid", "flatness", "crest") for m in range(M)])
    S = len(stat_names)
    class_mfcc = rng.normal(0, 1.0, (len(labels), n_mfcc))
    class_ms = rng.normal(0, 1.0, (len(labels), F))
    class_stats = rng.normal(0, 1.0, (len(labels), 3 * M))
    P = len(PROSODY_NAMES)
    class_pros = rng.normal(0, 1.0, (len(labels), P))
    files, mfccs, mss, vads, stats, pros, pstats = [], [], [], [], [], [], []
    mfcc_off = ms_off = 0
    spk_ids = [f"{i + 1:02d}" for i in range(speakers)]
    for spk in spk_ids:
        spk_shift = rng.normal(0, 0.7, n_mfcc)
        spk_ms = rng.normal(0, 0.7, F)
        for ci, lab in enumerate(labels):
            for rep in range(per_class):
                dur = fixed_seconds if fixed_seconds else float(rng.uniform(2.5, 4.0))
                n_frames = int((dur - 0.025) / 0.01) + 1
                n_ms = max(1, int((dur - 0.256) / 0.064) + 1)
                m = rng.normal(0, 1.0, (n_frames, n_mfcc)) + 0.12 * class_mfcc[ci] + spk_shift
                m[:, 0] = m[:, 0] * 2 + 10  # c0 ~ log energy
                vad = np.ones(n_frames, np.uint8)
                sil = int(rng.integers(5, 30))
                vad[:sil] = 0
                vad[-sil:] = 0
                m[vad == 0, 0] -= 8
                s = rng.normal(0, 1.0, (n_ms, F)) + 0.06 * class_ms[ci] + spk_ms - 5
                st = np.concatenate([s.mean(0), s.std(0), rng.normal(0, 1.0, 3 * M) + 0.3 * class_stats[ci]])
                mfccs.append(m.astype(np.float32))
                mss.append(s.astype(np.float32))
                vads.append(vad)
                stats.append(st.astype(np.float32))
                pros.append(rng.normal(0, 1.0, (n_frames, 5)).astype(np.float32))
                pstats.append((rng.normal(0, 1.0, P) + 0.3 * class_pros[ci]).astype(np.float32))
                path = f"Actor_{spk}/{spk}-{lab}-{rep}.wav" if corpus == "ravdess" else f"wav/{spk}{lab[:3]}{rep}.wav"
                files.append({"path": path, "speaker": spk, "label": lab, "durationSeconds": round(dur, 4),
                              "mfccOffset": mfcc_off, "mfccFrames": n_frames, "msOffset": ms_off, "msFrames": n_ms})
                mfcc_off += n_frames
                ms_off += n_ms
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "mfcc.npy"), np.concatenate(mfccs))
    np.save(os.path.join(out, "ms.npy"), np.concatenate(mss))
    np.save(os.path.join(out, "vad.npy"), np.concatenate(vads))
    np.save(os.path.join(out, "ms_stats.npy"), np.stack(stats))
    np.save(os.path.join(out, "prosody.npy"), np.concatenate(pros))
    np.save(os.path.join(out, "prosody_stats.npy"), np.stack(pstats))
    index = {
        "corpus": corpus, "sampleRate": 16000,
        "featureConfig": {"synthetic": True, "note": "random features from training/make_synthetic.py"},
        "labels": labels,
        "mfcc": {"file": "mfcc.npy", "width": n_mfcc, "frameShiftSeconds": 0.01},
        "modulation": {"file": "ms.npy", "width": F, "acousticBands": A, "modulationBands": M,
                       "frameShiftSeconds": 0.064, "statisticsFile": "ms_stats.npy", "statisticNames": stat_names},
        "vad": {"file": "vad.npy"},
        "prosody": {"file": "prosody.npy", "width": 5, "frameShiftSeconds": 0.01, "statisticsFile": "prosody_stats.npy",
                    "statisticNames": PROSODY_NAMES},
        "files": files,
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default="emodb", choices=["emodb", "ravdess"])
    ap.add_argument("--speakers", type=int, default=4)
    ap.add_argument("--per-class", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    make(a.out, a.corpus, a.speakers, a.per_class, seed=a.seed,
         fixed_seconds=2.0 if a.corpus == "emodb" else None)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
