"""Load a C# feature export (index.json + .npy files) into per-utterance arrays.

Nothing here computes acoustic features: training reads only what the C# extractor wrote.
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
    mfcc: list              # [T, 13] float32 per file
    ms: list                # [Tms, A*M] float32 per file
    vad: list               # [T] uint8 per file
    ms_stats: np.ndarray    # [N, S] float32
    speakers: np.ndarray    # [N] str
    y: np.ndarray           # [N] int index into labels
    paths: list = field(default_factory=list)

    @property
    def name(self):
        return self.index["corpus"]

    @property
    def n(self):
        return len(self.y)

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

    def subset(self, idx):
        idx = np.asarray(idx)
        return Corpus(self.root, self.index, self.labels, [self.mfcc[i] for i in idx], [self.ms[i] for i in idx],
                      [self.vad[i] for i in idx], self.ms_stats[idx], self.speakers[idx], self.y[idx],
                      [self.paths[i] for i in idx])


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
    mfcc, ms, vad, spk, y, paths = [], [], [], [], [], []
    for fi in index["files"]:
        a, n = fi["mfccOffset"], fi["mfccFrames"]
        b, k = fi["msOffset"], fi["msFrames"]
        mfcc.append(np.array(mfcc_all[a:a + n], dtype=np.float32))
        vad.append(np.array(vad_all[a:a + n], dtype=np.uint8))
        ms.append(np.array(ms_all[b:b + k], dtype=np.float32))
        spk.append(str(fi["speaker"]))
        y.append(labels.index(fi["label"]))
        paths.append(fi["path"])
    bad = sum(int((~np.isfinite(m)).sum()) for m in mfcc) + sum(int((~np.isfinite(m)).sum()) for m in ms)
    bad += int((~np.isfinite(stats)).sum())
    if bad:
        raise ValueError(f"{root}: {bad} non-finite feature values in the export")
    return Corpus(root, index, labels, mfcc, ms, vad, stats, np.array(spk), np.array(y, dtype=np.int64), paths)


def merge(target, extra):
    """Training-data merge for cross-corpus training: the target corpus first (indices 0..target.n-1, its
    labels and label order), then the files of each extra corpus whose label is in the target's label set
    (e.g. RAVDESS 'surprised' is dropped for an EmoDB model, EmoDB 'bored' for a RAVDESS model). Speakers
    of extra corpora are prefixed with the corpus name. Feature configurations must be identical."""
    mfcc, ms, vad, st, spk, y, paths = (list(target.mfcc), list(target.ms), list(target.vad), [target.ms_stats],
                                        list(target.speakers), list(target.y), list(target.paths))
    for c in extra:
        if c.index.get("featureConfig") != target.index.get("featureConfig"):
            raise ValueError(f"{c.name}: feature configuration differs from {target.name}")
        keep = [i for i in range(c.n) if c.labels[c.y[i]] in target.labels]
        mfcc += [c.mfcc[i] for i in keep]
        ms += [c.ms[i] for i in keep]
        vad += [c.vad[i] for i in keep]
        st.append(c.ms_stats[keep])
        spk += [f"{c.name}:{c.speakers[i]}" for i in keep]
        y += [target.labels.index(c.labels[c.y[i]]) for i in keep]
        paths += [f"{c.name}:{c.paths[i]}" for i in keep]
    return Corpus(target.root, target.index, target.labels, mfcc, ms, vad, np.concatenate(st), np.array(spk),
                  np.array(y, dtype=np.int64), paths)
