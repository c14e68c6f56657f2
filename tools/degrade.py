"""Degraded copies of a corpus: the channels users speak through (issue 18 item 2).

    /usr/bin/python3 tools/degrade.py SRC DST CONDITION [--other OTHER_CORPUS] [--jobs 2]

Every WAV under SRC is written to the same relative path under DST, so `rtser export` and `rtser evaluate` read the
copy as the same corpus (speaker and label come from the file names). Each file's randomness is seeded by the
condition and its path, so a copy is the same on every machine.

Test conditions (the evaluation's table; a test speaker's audio is only ever degraded, never trained on):
  phone     300-3400 Hz, 8 kHz, G.711 mu-law (written as 8 kHz PCM: the service resamples it as any 8 kHz upload)
  noise10   pink noise at 10 dB SNR
  noise0_5  pink noise at 0-5 dB SNR
  babble10  four-talker babble of the OTHER corpus (--other) at 10 dB SNR
  reverb    a synthetic room: exponentially decaying impulse response, RT60 0.4-0.9 s
Training copies (training-only files, like the speed-perturbed ones; configs name them in "perturbed"):
  augN      a random chain per file: room (p 0.5), noise (p 0.6: pink, brown, white, mains hum or other-corpus
            babble at 0-20 dB), phone channel (p 0.4: 200-400 to 3000-3600 Hz, 8 kHz, mu-law, A-law, GSM or
            Opus 6-12 kbit/s), then a level change of -15..+5 dB (clipped at full scale)
  augKINDN  the same chain with one step only, KIND phone, noise or room (augphone1, augnoise1, augroom1), or
            babble (the noise step with babble only): copies for experts that each hear one kind of channel
            (training/route.py)
  marginsN  clean speech with other silences around it: each end trimmed or padded to 0.02-1.5 s from the speech
            (padding at the recording's own quietest level), so that a channel detector does not learn a corpus's
            margins (EmoDB's tight, RAVDESS's a second) as the sign of a clean recording
  cat       the recording joined with one or two others of the same speaker and emotion (0.2-0.6 s gaps): longer
            utterances (4-12 s) for models that must read long segments alike
Babble is mixed only from the other corpus, so no copy ever holds a test speaker's voice.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from multiprocessing import Pool

import numpy as np
import scipy.io.wavfile as wavfile
from scipy import signal

SR = 16000
TEST = ("phone", "noise10", "noise0_5", "babble10", "reverb")


def read(path):
    sr, x = wavfile.read(path)
    x = x.astype(np.float64)
    if x.ndim > 1:
        x = x.mean(1)
    x /= 32768.0
    if sr != SR:
        g = np.gcd(sr, SR)
        x = signal.resample_poly(x, SR // g, sr // g)
    return x


def write(path, x, sr=SR):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    wavfile.write(path, sr, (np.clip(x, -1, 32767 / 32768) * 32768).astype(np.int16))


def rng_for(*keys):
    h = hashlib.sha256("/".join(keys).encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def speech_power(x):
    """Mean power of the 20 ms frames within 30 dB of the loudest: the active speech level SNR is measured against."""
    n = 320
    f = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x[None]
    p = (f ** 2).mean(1) + 1e-12
    return p[p > p.max() * 1e-3].mean()


def margins(x, rng):
    """x with each end's silence trimmed or padded to 0.02-1.5 s from the first and last 20 ms frame within 40 dB of
    the loudest; padding is white noise at the power of the quietest tenth of x's frames."""
    n = 320
    f = x[: len(x) // n * n].reshape(-1, n)
    p = (f ** 2).mean(1) + 1e-12
    active = np.flatnonzero(p > p.max() * 1e-4)
    start, end = active[0] * n, (active[-1] + 1) * n
    floor = np.sqrt(np.quantile(p, 0.1))
    pad = lambda k: floor * rng.standard_normal(k)
    head, tail = (int(rng.uniform(0.02, 1.5) * SR) for _ in range(2))
    before = x[max(0, start - head):start] if head <= start else np.concatenate([pad(head - start), x[:start]])
    after = x[end:end + tail] if end + tail <= len(x) else np.concatenate([x[end:], pad(end + tail - len(x))])
    return np.concatenate([before, x[start:end], after])


def coloured(n, slope, rng):
    """Noise whose power falls as f^-slope (0 white, 1 pink, 2 brown), unit power."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1
    y = np.fft.irfft(spec / f ** (slope / 2), n)
    return y / np.sqrt((y ** 2).mean() + 1e-20)


def hum(n, rng):
    t = np.arange(n) / SR
    f0 = rng.choice([50.0, 60.0])
    y = sum(rng.uniform(0.2, 1) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) for k in range(1, 8))
    y = y + 0.05 * rng.standard_normal(n)
    return y / np.sqrt((y ** 2).mean())


class Babble:
    def __init__(self, root):
        self.files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".wav"))

    def __call__(self, n, rng, talkers=4):
        y = np.zeros(n)
        for p in rng.choice(self.files, talkers, replace=False):
            s = read(p)
            s = s / np.sqrt(speech_power(s))
            s = np.tile(s, int(np.ceil((n + len(s)) / len(s))))
            k = rng.integers(0, len(s) - n)
            y += s[k:k + n]
        return y / np.sqrt((y ** 2).mean() + 1e-20)


def add_noise(x, noise, snr_db):
    return x + noise * np.sqrt(speech_power(x) / 10 ** (snr_db / 10))


def room(x, rt60, rng):
    """A synthetic room: direct sound, sparse early reflections in the first 50 ms, a diffuse tail decaying 60 dB in rt60."""
    n = int(rt60 * 1.2 * SR)
    t = np.arange(n) / SR
    h = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * 0.3
    h[:int(0.005 * SR)] = 0
    for _ in range(8):
        k = rng.integers(int(0.003 * SR), int(0.05 * SR))
        h[k] += rng.uniform(-0.6, 0.6)
    h[0] = 1.0
    y = signal.fftconvolve(x, h)[: len(x) + int(0.3 * SR)]
    return y * np.sqrt(speech_power(x) / speech_power(y))


def mulaw(x, mu=255.0):
    y = np.sign(x) * np.log1p(mu * np.abs(np.clip(x, -1, 1))) / np.log1p(mu)
    y = np.round(y * 127) / 127
    return np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu


def alaw(x, a=87.6):
    ax = np.abs(np.clip(x, -1, 1))
    y = np.where(ax < 1 / a, a * ax / (1 + np.log(a)), (1 + np.log(np.maximum(a * ax, 1e-12))) / (1 + np.log(a)))
    y = np.round(y * 127) / 127
    e = np.where(y < 1 / (1 + np.log(a)), y * (1 + np.log(a)) / a, np.exp(y * (1 + np.log(a)) - 1) / a)
    return np.sign(x) * e


def ffmpeg_codec(x8k, args, fmt):
    """8 kHz audio through an ffmpeg encoder and back (GSM, Opus)."""
    with tempfile.TemporaryDirectory() as d:
        src, enc, dst = (os.path.join(d, n) for n in ("in.wav", "enc." + fmt, "out.wav"))
        write(src, x8k, 8000)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, *args, "-f", fmt, enc], check=True)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", enc, "-ar", "8000", "-ac", "1",
                        "-c:a", "pcm_s16le", dst], check=True)
        y = read_raw(dst)
    return np.pad(y, (0, max(0, len(x8k) - len(y))))[: len(x8k)]


def read_raw(path):
    _, x = wavfile.read(path)
    return x.astype(np.float64) / 32768.0


def phone(x, lo, hi, codec, rng):
    """Band-limit, down to 8 kHz, through a telephone codec; returns 8 kHz audio."""
    sos = signal.butter(4, [lo, hi], btype="bandpass", fs=SR, output="sos")
    y = signal.resample_poly(signal.sosfilt(sos, x), 1, 2)
    peak = np.abs(y).max() + 1e-12
    y = y * min(1.0, 0.7 / peak)  # a phone's gain control keeps the line out of clipping
    if codec == "mulaw":
        return mulaw(y)
    if codec == "alaw":
        return alaw(y)
    if codec == "gsm":
        return ffmpeg_codec(y, ["-c:a", "libgsm"], "gsm")
    if codec == "opus":
        return ffmpeg_codec(y, ["-c:a", "libopus", "-b:a", f"{int(rng.choice([6, 8, 12]))}k"], "ogg")
    raise ValueError(codec)


def degrade(x, condition, rng, babble):
    """(audio, sample rate) of x under condition."""
    if condition == "phone":
        return phone(x, 300, 3400, "mulaw", rng), 8000
    if condition == "noise10":
        return add_noise(x, coloured(len(x), 1, rng), 10), SR
    if condition == "noise0_5":
        return add_noise(x, coloured(len(x), 1, rng), rng.uniform(0, 5)), SR
    if condition == "babble10":
        return add_noise(x, babble(len(x), rng), 10), SR
    if condition == "reverb":
        return room(x, rng.uniform(0.4, 0.9), rng), SR
    if condition.startswith("margins"):
        return margins(x, rng), SR
    if condition.startswith("aug"):
        kind = condition[3:].rstrip("0123456789")
        if kind == "babble":  # the noise step with other-corpus babble only
            return augment(x, rng, babble, ["noise"], noise="babble")
        return augment(x, rng, babble, [kind] if kind else None)
    raise ValueError(f"unknown condition {condition}")


def augment(x, rng, babble, steps=None, noise=None):
    if steps is None:
        steps = [s for s, p in (("room", 0.5), ("noise", 0.6), ("phone", 0.4)) if rng.random() < p] or ["noise"]
    elif not set(steps) <= {"room", "noise", "phone"}:
        raise ValueError(f"unknown augmentation {steps}")
    sr = SR
    if "room" in steps:
        x = room(x, rng.uniform(0.2, 1.0), rng)
    if "noise" in steps:
        kind = noise or rng.choice(["pink", "brown", "white", "hum", "babble"])
        noise = {"pink": lambda: coloured(len(x), 1, rng), "brown": lambda: coloured(len(x), 2, rng),
                 "white": lambda: coloured(len(x), 0, rng), "hum": lambda: hum(len(x), rng),
                 "babble": lambda: babble(len(x), rng)}[kind]()
        x = add_noise(x, noise, rng.uniform(0, 20))
    if "phone" in steps:
        x = phone(x, rng.uniform(200, 400), rng.uniform(3000, 3600), rng.choice(["mulaw", "alaw", "gsm", "opus"]), rng)
        sr = 8000
    return np.clip(x * 10 ** (rng.uniform(-15, 5) / 20), -1, 1), sr


def label_of(rel):
    name = os.path.splitext(os.path.basename(rel))[0]
    if "-" in name:  # RAVDESS: modality-channel-emotion-intensity-statement-repetition-actor
        f = name.split("-")
        return f[6], "neutral" if f[2] in ("01", "02") else f[2]
    return name[:2], name[5]  # EmoDB: speaker, emotion letter


def joined(src, rel, groups, rng):
    """The recording joined with one or two others of its speaker and emotion, in a random order."""
    others = [r for r in groups[label_of(rel)] if r != rel]
    picks = list(rng.choice(others, min(len(others), int(rng.integers(1, 3))), replace=False)) if others else []
    parts = [rel] + picks
    rng.shuffle(parts)
    out = []
    for i, r in enumerate(parts):
        if i:
            out.append(1e-4 * rng.standard_normal(int(rng.uniform(0.2, 0.6) * SR)))
        out.append(read(os.path.join(src, r)))
    return np.concatenate(out)


_state = {}


def _init(src, dst, condition, other, groups):
    _state.update(src=src, dst=dst, condition=condition, babble=Babble(other) if other else None, groups=groups)


def _one(rel):
    s = _state
    out = os.path.join(s["dst"], rel)
    if os.path.exists(out):
        return
    rng = rng_for(s["condition"], rel)
    if s["condition"] == "cat":
        write(out, joined(s["src"], rel, s["groups"], rng))
        return
    y, sr = degrade(read(os.path.join(s["src"], rel)), s["condition"], rng, s["babble"])
    write(out, y, sr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("condition")
    ap.add_argument("--other", help="the other corpus's folder: babble is mixed from it")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if a.condition not in TEST and not a.condition.startswith(("aug", "margins")) and a.condition != "cat":
        sys.exit(f"unknown condition {a.condition}: use one of {', '.join(TEST)}, augN, augKINDN, marginsN or cat")
    if (a.condition == "babble10" or a.condition.startswith("aug")) and not a.other:
        sys.exit(f"{a.condition} needs --other (the other corpus, for babble)")
    rels = sorted(os.path.relpath(os.path.join(d, f), a.src) for d, _, fs in os.walk(a.src) for f in fs
                  if f.endswith(".wav"))
    groups = {}
    for r in rels:
        groups.setdefault(label_of(r), []).append(r)
    with Pool(a.jobs, _init, (a.src, a.dst, a.condition, a.other, groups)) as pool:
        for _ in pool.imap_unordered(_one, rels, chunksize=8):
            pass
    print(f"{a.condition}: {len(rels)} files -> {a.dst}")


if __name__ == "__main__":
    main()
