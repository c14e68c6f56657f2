"""Load a C# feature export (index.json + .npy files) into per-utterance arrays.

Nothing here computes acoustic features: training reads only what the C# extractor wrote.
Exports from before the prosody stream (no "prosody" in index.json) load with prosody = None.
"""
import json
import os
from dataclasses import dataclass, field

import numpy as np

VOCABULARY = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised", "bored"]


@dataclass
class Corpus:
    root: str
    index: dict
    labels: list            # output order = index.json "labels"
    mfcc: list              # [T, C] float32 per file (C = index mfcc.width, 13 by default)
    ms: list                # [Tms, A*M] float32 per file
    vad: list               # [T] uint8 per file
    ms_stats: np.ndarray    # [N, S] float32
    speakers: np.ndarray    # [N] str
    y: np.ndarray           # [N] int index into labels
    paths: list = field(default_factory=list)
    prosody: list = None         # [T, 5] float32 per file (same frames as mfcc), None for exports before prosody
    prosody_stats: np.ndarray = None  # [N, P] float32, None for exports before prosody

    @property
    def name(self):
        return self.index["corpus"]

    @property
    def n(self):
        return len(self.y)

    @property
    def mfcc_width(self):
        """MFCCs per frame (13 in the default feature configuration)."""
        return int(self.index["mfcc"]["width"])

    @property
    def mfcc_shift(self):
        return float(self.index["mfcc"]["frameShiftSeconds"])

    @property
    def ms_shift(self):
        return float(self.index["modulation"]["frameShiftSeconds"])

    @property
    def acoustic_bands(self):
        return int(self.index["modulation"]["acousticBands"])

    @property
    def modulation_bands(self):
        return int(self.index["modulation"]["modulationBands"])

    @property
    def has_prosody(self):
        return self.prosody_stats is not None

    def require_prosody(self):
        if not self.has_prosody:
            raise ValueError(f"{self.root}: this export has no prosody (prosody.npy, prosody_stats.npy); "
                             "re-export with the current rtser export")

    def subset(self, idx):
        idx = np.asarray(idx)
        return Corpus(self.root, self.index, self.labels, [self.mfcc[i] for i in idx], [self.ms[i] for i in idx],
                      [self.vad[i] for i in idx], self.ms_stats[idx], self.speakers[idx], self.y[idx],
                      [self.paths[i] for i in idx],
                      None if self.prosody is None else [self.prosody[i] for i in idx],
                      None if self.prosody_stats is None else self.prosody_stats[idx])


def load(root):
    with open(os.path.join(root, "index.json")) as f:
        index = json.load(f)
    labels = list(index["labels"])
    unknown = [lab for lab in labels if lab not in VOCABULARY]
    if unknown:
        raise ValueError(f"labels outside the vocabulary: {unknown}")
    mfcc_all = np.load(os.path.join(root, index["mfcc"]["file"]), mmap_mode="r")
    ms_all = np.load(os.path.join(root, index["modulation"]["file"]), mmap_mode="r")
    vad_all = np.load(os.path.join(root, index["vad"]["file"]), mmap_mode="r")
    stats = np.load(os.path.join(root, index["modulation"]["statisticsFile"])).astype(np.float32)
    assert mfcc_all.shape[1] == index["mfcc"]["width"], (mfcc_all.shape, index["mfcc"]["width"])
    assert ms_all.shape[1] == index["modulation"]["width"], (ms_all.shape, index["modulation"]["width"])
    assert len(vad_all) == len(mfcc_all), "vad.npy must have one entry per MFCC frame"
    assert stats.shape[0] == len(index["files"]), "ms_stats.npy must have one row per file"
    pr = index.get("prosody")
    pros_all = pros_stats = None
    if pr:
        pros_all = np.load(os.path.join(root, pr["file"]), mmap_mode="r")
        pros_stats = np.load(os.path.join(root, pr["statisticsFile"])).astype(np.float32)
        assert pros_all.shape == (len(mfcc_all), pr["width"]), "prosody.npy must have one row per MFCC frame"
        assert pros_stats.shape == (len(index["files"]), len(pr["statisticNames"])), pros_stats.shape
        if not np.isfinite(pros_stats).all():
            raise ValueError(f"{root}: non-finite values in prosody_stats.npy")
    mfcc, ms, vad, spk, y, paths, pros = [], [], [], [], [], [], []
    for fi in index["files"]:
        a, n = fi["mfccOffset"], fi["mfccFrames"]
        b, k = fi["msOffset"], fi["msFrames"]
        mfcc.append(np.array(mfcc_all[a:a + n], dtype=np.float32))
        vad.append(np.array(vad_all[a:a + n], dtype=np.uint8))
        ms.append(np.array(ms_all[b:b + k], dtype=np.float32))
        if pros_all is not None:
            pros.append(np.array(pros_all[a:a + n], dtype=np.float32))
        spk.append(str(fi["speaker"]))
        y.append(labels.index(fi["label"]))
        paths.append(fi["path"])
    bad = sum(int((~np.isfinite(m)).sum()) for m in mfcc) + sum(int((~np.isfinite(m)).sum()) for m in ms)
    bad += int((~np.isfinite(stats)).sum())
    if bad:
        raise ValueError(f"{root}: {bad} non-finite feature values in the export")
    return Corpus(root, index, labels, mfcc, ms, vad, stats, np.array(spk), np.array(y, dtype=np.int64), paths,
                  pros if pros_all is not None else None, pros_stats)


def check_mfcc_width(corpus, cfg):
    """A config names the MFCC width its features must have (config "mfcc_width", 13 by default), so a run never
    mixes up feature exports of different MFCC configurations (training/research.md, "Forty MFCCs and a speaker adversary")."""
    want = int(cfg.get("mfcc_width", 13))
    if corpus.mfcc_width != want:
        raise ValueError(f"{corpus.root}: {corpus.mfcc_width} MFCCs per frame, but config {cfg.get('name')} wants {want} "
                         "(export the features with the matching --feature-config)")
    return corpus


def load_perturbed(features_dir, tags):
    """The speed-perturbed copies of a corpus (`tools/perturb.sh`, exported beside it as `<dir>_<tag>`), each named
    `<corpus>_<tag>` so that merge() gives every copy of a speaker a speaker id of its own (`emodb_sp0.9:03`): a
    perturbed voice is centred on its own mean, and unprefixed() maps it back to the real speaker for the folds."""
    root = os.path.abspath(features_dir)
    copies = []
    for tag in tags:
        c = load(f"{root}_{tag}")
        c.index = dict(c.index, corpus=f"{c.name}_{tag}")
        copies.append(c)
    return copies


def unprefixed(names):
    """Speaker ids or paths as in their own corpus: merge() prefixes those of an extra corpus (or a perturbed copy)
    with `<corpus>:`."""
    return np.array([s.split(":", 1)[-1] for s in names])


def merge(target, extra):
    """Training-data merge for cross-corpus training: the target corpus first (indices 0..target.n-1, its
    labels and label order), then the files of each extra corpus whose label is in the target's label set
    (e.g. RAVDESS 'surprised' is dropped for an EmoDB model, EmoDB 'bored' for a RAVDESS model). Speakers
    of extra corpora are prefixed with the corpus name. Feature configurations must be identical."""
    mfcc, ms, vad, st, spk, y, paths = (list(target.mfcc), list(target.ms), list(target.vad), [target.ms_stats],
                                        list(target.speakers), list(target.y), list(target.paths))
    with_prosody = target.has_prosody and all(c.has_prosody for c in extra)
    pros = list(target.prosody) if with_prosody else None
    pst = [target.prosody_stats] if with_prosody else None
    for c in extra:
        if c.index.get("featureConfig") != target.index.get("featureConfig"):
            raise ValueError(f"{c.name}: feature configuration differs from {target.name}")
        keep = [i for i in range(c.n) if c.labels[c.y[i]] in target.labels]
        mfcc += [c.mfcc[i] for i in keep]
        ms += [c.ms[i] for i in keep]
        vad += [c.vad[i] for i in keep]
        st.append(c.ms_stats[keep])
        if with_prosody:
            pros += [c.prosody[i] for i in keep]
            pst.append(c.prosody_stats[keep])
        spk += [f"{c.name}:{c.speakers[i]}" for i in keep]
        y += [target.labels.index(c.labels[c.y[i]]) for i in keep]
        paths += [f"{c.name}:{c.paths[i]}" for i in keep]
    return Corpus(target.root, target.index, target.labels, mfcc, ms, vad, np.concatenate(st), np.array(spk),
                  np.array(y, dtype=np.int64), paths, pros, np.concatenate(pst) if with_prosody else None)
