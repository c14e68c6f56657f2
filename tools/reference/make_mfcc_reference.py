#!/usr/bin/python3
"""Writes torchaudio's Kaldi MFCC of a few real and synthetic clips as JSON test data.

Run from the repository root (Debian: apt-get install python3-torchaudio python3-soundfile espeak-ng):
    /usr/bin/python3 tools/reference/make_mfcc_reference.py
The C# tests (tests/Rtser.Features.Tests/Mfcc) decode the same files and must agree within 0.01.
"""
import json
import os
import subprocess
import sys

import numpy as np
import soundfile as sf
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "Rtser.Features.Tests", "TestData")
DATASETS = os.path.join(os.path.dirname(ROOT), "shared", "datasets")
# Real speech, read from the shared datasets (not copied into the repository).
CLIPS = [
    ("ravdess/Actor_03/03-01-05-02-01-01-03.wav", "ravdess-03-angry"),
    ("ravdess/Actor_10/03-01-03-01-02-02-10.wav", "ravdess-10-happy"),
]
# Synthetic speech, committed as test data (espeak-ng, no licence strings attached).
SYNTH = ("espeak-16k.wav", "The quick brown fox jumps over the lazy dog, said the voice calmly.")


def load_int16(path):
    data, rate = sf.read(path, dtype="int16", always_2d=True)
    assert rate == 16000, f"{path}: {rate} Hz, the reference needs 16 kHz input"
    return torch.from_numpy(data[:, 0].astype(np.float32) / 32768.0), rate


def reference(wave, use_energy):
    feats = kaldi.mfcc(wave.unsqueeze(0) * 32768, sample_frequency=16000, dither=0.0, use_energy=use_energy)
    return feats.numpy().astype(np.float64)


def write(name, source, wave):
    doc = {
        "source": source,
        "generator": "torchaudio.compliance.kaldi.mfcc(w * 32768, sample_frequency=16000, dither=0.0, use_energy=...)",
        "torchaudio": torchaudio.__version__,
        "torch": torch.__version__,
        "samples": int(wave.shape[0]),
        "useEnergyTrue": [[round(float(v), 5) for v in row] for row in reference(wave, True)],
        "useEnergyFalse": [[round(float(v), 5) for v in row] for row in reference(wave, False)],
    }
    with open(os.path.join(OUT, f"mfcc-{name}.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(name, wave.shape[0], len(doc["useEnergyTrue"]), "frames")


def main():
    os.makedirs(OUT, exist_ok=True)
    synth = os.path.join(OUT, SYNTH[0])
    if not os.path.exists(synth):
        tmp = synth + ".22k.wav"
        subprocess.run(["espeak-ng", "-w", tmp, SYNTH[1]], check=True)
        subprocess.run(["sox", tmp, "-r", "16000", "-b", "16", "-c", "1", synth], check=True)
        os.remove(tmp)
    wave, _ = load_int16(synth)
    write("espeak", "TestData/" + SYNTH[0], wave)
    for rel, name in CLIPS:
        path = os.path.join(DATASETS, rel)
        if not os.path.exists(path):
            sys.exit(f"missing {path}")
        wave, _ = load_int16(path)
        write(name, "datasets/" + rel, wave)


if __name__ == "__main__":
    main()
