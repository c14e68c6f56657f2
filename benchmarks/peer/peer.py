#!/usr/bin/python3
"""The Python peer: the work of one upload done the way a Python user would, timed on the same clips as
`Rtser.Perf clips` (the first N WAV files of a folder in name order), single-threaded.

  decode      scipy.io.wavfile.read + int16 -> float32 (+ scipy.signal.resample_poly to 16 kHz if needed)
  mfcc        numpy Kaldi recipe (25 ms Povey window, 10 ms shift, snip edges, DC removal, pre-emphasis 0.97,
              512-point power spectrum, 23 Kaldi mel bins from 20 Hz, log, orthonormal DCT, 13 coefficients,
              lifter 22, raw log energy as c0); checked against torchaudio's output committed in
              tests/Rtser.Features.Tests/TestData (max abs difference printed)
  ms          numpy/scipy modulation spectrum with the C# extractor's structure: 16 ms Hamming STFT every 4 ms,
              23 ERB-spaced 4th-order gammatone power weights, band envelopes, 6 RBJ band-pass modulation filters
              (scipy.signal.lfilter, Q = 2, 2-64 Hz), Hamming^2-weighted energies over 256 ms every 64 ms, log;
              utterance statistics (294). The gammatone weights are the textbook magnitude response, not NWaves'
              exact design, so values are close but not compared: this peer measures cost.
  prosody     (only when the model reads prosody_stats) numpy NCCF pitch on the signal low-passed at 1 kHz
              (33-tap Hamming sinc) and decimated to 4 kHz, lags for 60-500 Hz, 25 ms segments, one per MFCC frame;
              energy and low-band share per frame; the 21 utterance functionals. Same structure and amount of work
              as the C# ProsodyExtractor, not compared value for value.
  inference   PyTorch eager (torch.inference_mode) on the CNN-RNN built from training/models.py with the model
              card's own architecture config (random weights of the same shapes: the cost is what matters)
  end_to_end  decode + mfcc + speech activity + ms + statistics + inference, per clip

Usage: /usr/bin/python3 benchmarks/peer/peer.py --dir ../shared/datasets/emodb/wav --n 100 [--json out.json]
"""
import argparse
import glob
import json
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core, as the C# side
    os.environ.setdefault(_v, "1")

import numpy as np
import scipy.io.wavfile
import scipy.signal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

RATE = 16000


# ---------- MFCC (Kaldi recipe) ----------
class Mfcc:
    def __init__(self):
        self.n, self.shift, self.nfft = 400, 160, 512
        i = np.arange(self.n)
        self.window = (np.sin(np.pi * i / (self.n - 1)) ** 1.7).astype(np.float32)  # Povey
        mel = lambda f: 1127.0 * np.log(1.0 + f / 700.0)
        low, high, bins = mel(20.0), mel(RATE / 2), 23
        centers = low + (high - low) / (bins + 1) * np.arange(bins + 2)
        fft_mel = mel(np.arange(self.nfft // 2) * RATE / self.nfft)
        fb = np.zeros((bins, self.nfft // 2 + 1), np.float32)
        for b in range(bins):
            l, c, r = centers[b], centers[b + 1], centers[b + 2]
            up = (fft_mel - l) / (c - l)
            down = (r - fft_mel) / (r - c)
            fb[b, :-1] = np.maximum(0, np.minimum(up, down)) * ((fft_mel > l) & (fft_mel < r))
        self.fb = fb.T
        k = np.arange(13)[:, None]
        m = np.arange(bins)[None, :]
        dct = np.sqrt(2.0 / bins) * np.cos(np.pi / bins * (m + 0.5) * k)
        dct[0] *= np.sqrt(0.5)
        lifter = 1 + 11.0 * np.sin(np.pi * np.arange(13) / 22.0)
        self.dct = (dct.T * lifter).astype(np.float32)
        self.eps = np.finfo(np.float32).eps

    def frames(self, x):
        count = 1 + (len(x) - self.n) // self.shift if len(x) >= self.n else 0
        return np.lib.stride_tricks.as_strided(x, (count, self.n), (x.strides[0] * self.shift, x.strides[0]))

    def __call__(self, x):
        f = self.frames(x) * np.float32(32768)
        f = f - f.mean(1, keepdims=True)
        raw = (f * f).sum(1)
        f = np.concatenate([f[:, :1] * (1 - 0.97), f[:, 1:] - 0.97 * f[:, :-1]], 1)
        f = f * self.window
        p = np.abs(np.fft.rfft(f, self.nfft)) ** 2
        mel = np.log(np.maximum(p.astype(np.float32) @ self.fb, self.eps))
        c = mel @ self.dct
        c[:, 0] = np.log(np.maximum(raw, self.eps))
        levels = 10 * np.log10(raw / (self.n * 32768.0 ** 2) + 1e-12)
        return c.astype(np.float32), levels


def speech_activity(levels, floor_frames=200, margin=12.0, min_db=-60.0, onset=3, hangover=20):
    """The causal detector: candidate above -60 dBFS and 12 dB over the quietest frame of the last 2 s."""
    out = np.zeros(len(levels), bool)
    run = hang = 0
    for t in range(len(levels)):
        quiet = levels[max(0, t - floor_frames + 1):t + 1].min()
        cand = levels[t] > min_db and levels[t] >= quiet + margin
        run = run + 1 if cand else 0
        if run >= onset:
            hang = hangover
        elif hang > 0:
            hang -= 1
        out[t] = run >= onset or hang > 0
    return out


# ---------- Modulation spectrum ----------
class ModulationSpectrum:
    def __init__(self, bands=23, mods=6):
        self.fft, self.hop, self.A, self.M = 256, 64, bands, mods
        self.window = np.hamming(self.fft).astype(np.float32)
        ear_q, min_bw = 9.26449, 24.7
        c = ear_q * min_bw
        step = (np.log(8000 + c) - np.log(125 + c)) / bands
        self.centers = np.array([np.exp(-i * step) * (8000 + c) - c for i in range(bands, 0, -1)])
        f = np.arange(self.fft // 2 + 1) * RATE / self.fft
        erb = 24.7 + self.centers / ear_q
        w = (1 + ((f[None, :] - self.centers[:, None]) / (1.019 * erb[:, None])) ** 2) ** -4
        w[w < 1e-6 * w.max(1, keepdims=True)] = 0
        self.weights = (w / w.sum(1, keepdims=True)).T.astype(np.float32)  # [bins, A]
        env_rate = RATE / self.hop
        self.filters = []
        for fc in np.geomspace(2, 64, mods):
            w0 = 2 * np.pi * fc / env_rate
            alpha = np.sin(w0) / (2 * 2.0)
            a0 = 1 + alpha
            self.filters.append((np.array([alpha, 0, -alpha]) / a0, np.array([a0, -2 * np.cos(w0), 1 - alpha]) / a0))
        ham = np.hamming(64)
        self.frame_weights = (ham * ham / (ham * ham).sum()).astype(np.float32)

    def __call__(self, x):
        n = 1 + (len(x) - self.fft) // self.hop if len(x) >= self.fft else 0
        fr = np.lib.stride_tricks.as_strided(x, (n, self.fft), (x.strides[0] * self.hop, x.strides[0]))
        p = np.abs(np.fft.rfft(fr * self.window, axis=1)) ** 2
        env = np.sqrt(np.maximum(p.astype(np.float32) @ self.weights, 0) + 1e-16)  # [T, A]
        outs = []
        for b, a in self.filters:
            zi = np.stack([-b[0] * env[0], -b[0] * env[0]])
            y, _ = scipy.signal.lfilter(b, a, env, axis=0, zi=zi)
            outs.append(y * y)
        sq = np.stack(outs, 2).reshape(n, -1).astype(np.float32)  # [T, A*M] acoustic-major
        frames = 1 + (n - 64) // 16 if n >= 64 else 0
        if frames == 0:
            return np.zeros((0, self.A * self.M), np.float32)
        win = np.lib.stride_tricks.as_strided(sq, (frames, 64, sq.shape[1]), (sq.strides[0] * 16, sq.strides[0], sq.strides[1]))
        e = np.einsum("fjc,j->fc", win, self.frame_weights)
        return np.log(e + 1e-10).astype(np.float32)

    def statistics(self, ms):
        mean, std = ms.mean(0), ms.std(0)
        lin = np.maximum(np.exp(ms.astype(np.float64)) - 1e-10, 0).mean(0).reshape(self.A, self.M) + 1e-10
        centroid = (lin * self.centers[:, None]).sum(0) / lin.sum(0)
        flat = np.exp(np.log(lin).mean(0)) / lin.mean(0)
        crest = lin.max(0) / lin.mean(0)
        return np.concatenate([mean, std, centroid, flat, crest]).astype(np.float32)


# ---------- prosody (numpy), for models that read prosody_stats ----------
class Prosody:
    def __init__(self):
        n = np.arange(33) - 16
        h = 2 * 1000 / RATE * np.sinc(2 * 1000 / RATE * n) * np.hamming(33)
        self.lowpass = (h / h.sum()).astype(np.float32)
        self.rate = RATE // 4
        self.seg = int(0.025 * self.rate)
        self.lags = np.arange(int(self.rate / 500), int(np.ceil(self.rate / 60)) + 1)

    def frames(self, x, n_frames):
        low = np.convolve(x, self.lowpass, mode="same")
        d = low[::4]
        span = self.seg + self.lags[-1] + 1
        d = np.concatenate([d, np.zeros(span)]).astype(np.float32)
        starts = np.clip((np.arange(n_frames) * 0.01 * self.rate).astype(int), 0, len(d) - span)
        win = np.lib.stride_tricks.sliding_window_view(d, span)[starts]            # [T, span]
        ref = win[:, :self.seg]
        shifted = np.lib.stride_tricks.sliding_window_view(win, self.seg, axis=1)[:, self.lags]  # [T, L, seg]
        num = np.matmul(shifted, ref[:, :, None])[..., 0]                            # batched BLAS
        csum = np.concatenate([np.zeros((n_frames, 1), np.float32), np.cumsum(win ** 2, 1)], 1)
        e0 = csum[:, self.seg]
        ek = csum[:, self.lags + self.seg] - csum[:, self.lags]                      # running energies
        nccf = num / np.sqrt(e0[:, None] * ek + 1e-12)
        best = nccf.max(1)
        peaks = (nccf[:, 1:-1] >= nccf[:, :-2]) & (nccf[:, 1:-1] >= nccf[:, 2:]) & (nccf[:, 1:-1] >= 0.9 * best[:, None])
        k = np.argmax(peaks, 1) + 1
        a, b, c = (nccf[np.arange(n_frames), k + o] for o in (-1, 0, 1))
        frac = 0.5 * (a - c) / np.where(np.abs(a - 2 * b + c) > 1e-9, a - 2 * b + c, 1)
        f0 = self.rate / np.maximum(self.lags[k] + frac, 1)
        full = np.lib.stride_tricks.sliding_window_view(np.concatenate([x, np.zeros(400)]), 400)[::160][:n_frames]
        energy = 10 * np.log10(((full - full.mean(1, keepdims=True)) ** 2).mean(1) + 1e-10)
        lowband = 10 * np.log10((ref ** 2).mean(1) + 1e-10) - energy
        voiced = best >= 0.5
        return np.stack([np.where(voiced, 12 * np.log2(f0), 0), best, voiced, energy, lowband], 1).astype(np.float32)

    @staticmethod
    def statistics(p, speech):
        s = speech if speech.sum() >= 2 else np.ones(len(p), bool)
        v = s & (p[:, 2] > 0)
        t = np.arange(len(p)) * 0.01
        f0, en = p[v, 0], p[s, 3]
        slope = lambda y, x: float(np.polyfit(x, y, 1)[0]) if len(y) >= 2 else 0.0
        pct = np.percentile(f0, [10, 50, 90]) if len(f0) else np.zeros(3)
        r = np.minimum(p[v, 1], 0.999)
        runs = np.diff(np.concatenate([[0], v.astype(int), [0]]))
        n_runs = (runs == 1).sum()
        stats = [v.sum() / max(s.sum(), 1), f0.mean() if len(f0) else 0, f0.std() if len(f0) else 0, *pct, pct[2] - pct[0], slope(f0, t[v]),
                 np.abs(np.diff(f0)).mean() if len(f0) > 1 else 0, r.mean() if len(r) else 0,
                 (10 * np.log10(r / (1 - r))).mean() if len(r) else 0, en.mean(), en.std(),
                 np.subtract(*np.percentile(en, [90, 10])), slope(en, t[s]),
                 np.abs(np.diff(p[v, 3])).mean() if v.sum() > 1 else 0, p[v, 4].mean() if v.any() else 0,
                 p[v, 4].std() if v.any() else 0, n_runs / max(s.sum() * 0.01, 0.01),
                 v.sum() * 0.01 / max(n_runs, 1), s.mean()]
        return np.array(stats, np.float32)


# ---------- the CNN-RNN in PyTorch eager ----------
def build_model(card_path):
    import torch
    from training.models import build, Ensemble
    torch.set_num_threads(1)
    torch.manual_seed(0)
    card = json.load(open(card_path))
    cfg = card["config"]
    dims = {"A": 23, "M": 6, "ms_shift": 0.064, "mfcc_shift": 0.01}
    n_stats = 65 + 294 + (21 if cfg.get("prosody") else 0)
    norm = {"mfcc_mean": np.zeros(13), "mfcc_std": np.ones(13), "ms_mean": np.zeros(138), "ms_std": np.ones(138),
            "stats_mean": np.zeros(n_stats), "stats_std": np.ones(n_stats)}
    seeds = cfg.get("seeds") or [cfg.get("seed", 1)]
    members = [build(cfg, norm, len(card["labels"]), dims).eval() for _ in seeds]
    model = members[0] if len(members) == 1 else Ensemble(members).eval()
    return model, [i["name"] for i in card["inputs"]], len(seeds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--model", default="cnn-rnn-emodb")
    ap.add_argument("--json")
    args = ap.parse_args()

    import torch
    files = sorted(glob.glob(os.path.join(args.dir, "*.wav")))[:args.n]
    mfcc, msx = Mfcc(), ModulationSpectrum()
    model, inputs, members = build_model(os.path.join(ROOT, "models", args.model + ".json"))
    prosody = Prosody() if "prosody_stats" in inputs else None

    ref = json.load(open(os.path.join(ROOT, "tests/Rtser.Features.Tests/TestData/mfcc-espeak.json")))
    rate, pcm = scipy.io.wavfile.read(os.path.join(ROOT, "tests/Rtser.Features.Tests/TestData/espeak-16k.wav"))
    mfcc_diff = float(np.abs(mfcc((pcm.astype(np.float32) / 32768))[0] - np.array(ref["useEnergyTrue"], np.float32)).max())

    def decode(path):
        r, d = scipy.io.wavfile.read(path)
        x = d.astype(np.float32) / 32768.0
        if r != RATE:  # EmoDB's copy here is 22.05 kHz: scipy's polyphase resampler, as a Python user would
            g = np.gcd(r, RATE)
            x = scipy.signal.resample_poly(x, RATE // g, r // g).astype(np.float32)
        return x

    def infer(c, levels_speech, ms, stats, pstats=None):
        with torch.inference_mode():
            feed = {"mfcc": torch.from_numpy(c)[None], "ms": torch.from_numpy(ms)[None]}
            if "vad" in inputs:
                feed["vad"] = torch.from_numpy(levels_speech.astype(np.float32))[None]
                feed["ms_stats"] = torch.from_numpy(stats)[None]
            if pstats is not None:
                feed["prosody_stats"] = torch.from_numpy(pstats)[None]
            return model(**feed)[0].numpy()

    def prosody_stats(x, c, speech):
        return Prosody.statistics(prosody.frames(x, len(c)), speech) if prosody else None

    def end_to_end(path):
        x = decode(path)
        c, levels = mfcc(x)
        speech = speech_activity(levels)
        if speech.sum() * 0.01 < 0.25:
            return "no_speech"
        ms = msx(x)
        stats = msx.statistics(ms)
        return int(np.argmax(infer(c, speech, ms, stats, prosody_stats(x, c, speech))))

    for p in files[:10]:
        end_to_end(p)

    stages = ["decode", "mfcc", "vad", "ms"] + (["prosody"] if prosody else []) + ["inference", "end_to_end"]
    totals = dict.fromkeys(stages, 0.0)
    audio = 0.0
    for p in files:
        x = decode(p)
        audio += len(x) / RATE
        c, levels = mfcc(x)
        speech = speech_activity(levels)
        ms = msx(x)
        stats = msx.statistics(ms)
        pstats = prosody_stats(x, c, speech)
        work = {"decode": lambda: decode(p), "mfcc": lambda: mfcc(x), "vad": lambda: speech_activity(levels),
                "ms": lambda: msx.statistics(msx(x)), "prosody": lambda: prosody_stats(x, c, speech),
                "inference": lambda: infer(c, speech, ms, stats, pstats), "end_to_end": lambda: end_to_end(p)}
        t = {s: [] for s in stages}
        for _ in range(args.repeat):
            for name in stages:
                t0 = time.perf_counter()
                work[name]()
                t[name].append((time.perf_counter() - t0) * 1000)
        for s in stages:
            totals[s] += float(np.median(t[s]))

    result = {
        "implementation": "python",
        "model": args.model,
        "members": members,
        "clips": len(files),
        "audio_seconds": audio,
        "repeat": args.repeat,
        "ms_per_3s": {s: v / audio * 3 for s, v in totals.items()},
        "ms_total": totals,
        "mfcc_max_abs_diff_vs_torchaudio": mfcc_diff,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__, "torch": torch.__version__},
    }
    text = json.dumps(result, indent=2)
    if args.json:
        open(args.json, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
