"""Torch sequence models. Every model takes the raw C# feature streams
    mfcc [B, T, C] (100 Hz, C = 13 coefficients by default)   and   ms [B, Tms, A*M] (15.625 Hz, acoustic-major a*M+m)
and does all preprocessing inside the graph: per-dimension normalisation (training-fold mean/std
baked in as constants), optional feature-dimension selection (constant Gather), and the
alignment of the two frame rates (MS frames repeated onto the model's time grid by an index
computed from the frame count, so the frame-count axis stays dynamic in ONNX).

MS -> grid alignment: grid step g ms (10 ms * pooling), MS hop h ms (64). Grid frame j is
centred at about g*j + g/2 + 12.5 ms; MS frame k (256 ms window) at h*k + 128 ms. Nearest by
centre: k = clamp(floor(g*j / h) - 1, 0, Tms - 1)  (exact for g=40/20, h=64 to within one grid step).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def ms_index(n_grid, n_ms, grid_ms, hop_ms):
    j = torch.arange(n_grid, dtype=torch.int64)
    k = torch.div(j * grid_ms, hop_ms, rounding_mode="floor") - 1
    k = torch.clamp(k, min=0)
    return torch.minimum(k, (torch.ones_like(k) * n_ms) - 1)


class Norm(nn.Module):
    """(x - mean) / std with constants; optional constant column selection."""

    def __init__(self, mean, std, cols=None, utterance_mean=False):
        super().__init__()
        self.utterance_mean = utterance_mean
        mean = torch.as_tensor(mean, dtype=torch.float32)
        std = torch.as_tensor(std, dtype=torch.float32)
        if cols is not None:
            cols = torch.as_tensor(cols, dtype=torch.int64)
            mean, std = mean[cols], std[cols]
            self.register_buffer("cols", cols)
        else:
            self.cols = None
        self.register_buffer("mean", mean)
        self.register_buffer("inv_std", 1.0 / std)

    def forward(self, x):
        if self.cols is not None:
            x = torch.index_select(x, 2, self.cols)
        x = (x - self.mean) * self.inv_std
        if self.utterance_mean:  # per-utterance mean removal over time (CMN-like), option
            x = x - x.mean(1, keepdim=True)
        return x


def profile_frame_means(profile, n_mfcc, ms_width):
    """The frame-stream means inside a profile of utterance statistics ([..., D], numpy or torch): the MFCC means
    (statistics 0..n_mfcc-1, over speech frames) and the MS cell means (the first A*M values of ms_stats, after the
    5 * n_mfcc MFCC statistics, over all frames)."""
    return profile[..., :n_mfcc], profile[..., 5 * n_mfcc:5 * n_mfcc + ms_width]


# Positions inside the prosody functionals (the last PROSODY_STATS values of a profile), checked against the export's
# statisticNames by train.check_prosody_layout.
PROSODY_STATS, F0_MEAN, ENERGY_MEAN, LOWBAND_MEAN = 21, 1, 11, 16


def prosody_frame_features(prosody, profile):
    """C# prosody frames [..., T, 5] (f0_semitones, voicing, voiced, energy_db, lowband_db) made relative to the
    speaker: F0 minus the profile's mean F0 in voiced frames (0 elsewhere, as the extractor writes unvoiced F0),
    energy and low-band share minus the profile's means. profile [..., 1, D]: the speaker_mean input. Applied to
    already-relative frames with a zero profile it changes nothing, which training relies on."""
    p = profile[..., -PROSODY_STATS:]
    voiced = prosody[..., 2:3]
    f0 = (prosody[..., 0:1] - p[..., F0_MEAN:F0_MEAN + 1]) * voiced
    energy = prosody[..., 3:4] - p[..., ENERGY_MEAN:ENERGY_MEAN + 1]
    lowband = prosody[..., 4:5] - p[..., LOWBAND_MEAN:LOWBAND_MEAN + 1]
    return torch.cat([f0, prosody[..., 1:3], energy, lowband], -1)


def mfcc_stats(mfcc, vad):
    """Torch twin of stats.mfcc_block for a batch: mfcc [B, T, C], vad [B, T] float (1 = speech) -> [B, 5C]
    = mean, std, min, max of the MFCCs over speech frames (all frames if < 2 are speech) and the std of
    their deltas (c[t+1] - c[t-1]) / 2 (edge-padded). Exported into the ONNX graph as is."""
    m = vad.unsqueeze(-1)                                    # [B, T, 1]
    cnt = m.sum(1, keepdim=True)                             # [B, 1, 1]
    m = torch.where(cnt < 2.0, torch.ones_like(m), m)
    n = m.sum(1, keepdim=True)
    mean = (mfcc * m).sum(1, keepdim=True) / n
    dev = (mfcc - mean) * m
    n2 = n.squeeze(1)                                        # [B, 1]
    std = torch.sqrt((dev * dev).sum(1) / n2)
    speech = m > 0.5
    big = torch.full_like(mfcc, 1e9)
    mx = torch.where(speech, mfcc, -big).amax(1)
    mn = torch.where(speech, mfcc, big).amin(1)
    p = torch.cat([mfcc[:, :1], mfcc, mfcc[:, -1:]], 1)
    d = (p[:, 2:] - p[:, :-2]) * 0.5
    dmean = (d * m).sum(1, keepdim=True) / n
    ddev = (d - dmean) * m
    dstd = torch.sqrt((ddev * ddev).sum(1) / n2)
    return torch.cat([mean.squeeze(1), std, mn, mx, dstd], 1)


class AttentivePool(nn.Module):
    """Attentive statistics pooling over time (Okabe et al. 2018): weighted mean (+ weighted std)."""

    def __init__(self, dim, hidden=32, with_std=True):
        super().__init__()
        self.att = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.with_std = with_std
        self.out_dim = dim * (2 if with_std else 1)

    def forward(self, h):  # [B, T, D]
        w = torch.softmax(self.att(h), dim=1)
        mu = (w * h).sum(1)
        if not self.with_std:
            return mu
        var = (w * h * h).sum(1) - mu * mu
        return torch.cat([mu, torch.sqrt(torch.clamp(var, min=1e-6))], 1)


class MeanPool(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.out_dim = dim

    def forward(self, h):
        return h.mean(1)


class Base(nn.Module):
    def __init__(self, cfg, norm, n_classes, dims):
        """norm: dict with mfcc_mean/std, ms_mean/std (numpy) and optional mfcc_cols/ms_cols."""
        super().__init__()
        self.cfg = cfg
        self.use_mfcc = cfg.get("feature_set", "all") in ("all", "mfcc")
        self.use_ms = cfg.get("feature_set", "all") in ("all", "ms")
        self.A, self.M = dims["A"], dims["M"]
        self.mfcc_width = dims.get("n_mfcc", 13)  # the C# MFCC stream's width (the card's featureConfig)
        self.hop_ms = int(round(dims["ms_shift"] * 1000))
        self.mfcc_ms = int(round(dims["mfcc_shift"] * 1000))
        if self.use_mfcc:
            um = cfg["model"].get("utterance_mean", False)
            self.mfcc_norm = Norm(norm["mfcc_mean"], norm["mfcc_std"], norm.get("mfcc_cols"), um)
            self.n_mfcc = len(norm["mfcc_cols"]) if norm.get("mfcc_cols") is not None else len(norm["mfcc_mean"])
        if self.use_ms:
            self.ms_norm = Norm(norm["ms_mean"], norm["ms_std"], norm.get("ms_cols"),
                                cfg["model"].get("utterance_mean", False))
            self.n_ms = len(norm["ms_cols"]) if norm.get("ms_cols") is not None else len(norm["ms_mean"])
        self.n_classes = n_classes
        # config "prosody": the C# prosody functionals join the utterance statistics (statistics branch only)
        self.uses_prosody = bool(cfg.get("prosody", False))
        # config "speaker_norm": the statistics branch sees the utterance statistics minus the speaker's mean
        # statistics (input speaker_mean, from other recordings of the same speaker; see train.speaker_offsets)
        self.uses_speaker = bool(cfg.get("speaker_norm"))
        # speaker_norm.frames: the frame streams are centred on the speaker too, with the profile's own MFCC means
        # (statistics 0..12) and MS cell means (65.. 65+A*M, the first block of ms_stats), instead of the utterance's
        self.speaker_frames = self.uses_speaker and bool(cfg["speaker_norm"].get("frames"))
        # model.prosody_frames: the C# prosody frames, made relative to the speaker's profile, join the MFCC stream
        # as 5 more channels of the CNN's first layer (needs the profile, hence speaker_norm.frames)
        self.prosody_frames = bool(cfg["model"].get("prosody_frames"))
        if self.prosody_frames and not (self.speaker_frames and self.uses_prosody):
            raise ValueError("model.prosody_frames needs speaker_norm.frames and prosody")

    uses_stats = False

    @property
    def input_names(self):
        if not self.uses_stats:
            return ["mfcc", "ms"]
        return (["mfcc", "ms", "vad", "ms_stats"] + (["prosody_stats"] if self.uses_prosody else [])
                + (["speaker_mean"] if self.uses_speaker else []) + (["prosody"] if self.prosody_frames else []))

    def forward(self, mfcc, ms, vad=None, ms_stats=None, prosody_stats=None, speaker_mean=None, prosody=None):
        return torch.softmax(self.logits(mfcc, ms, vad=vad, ms_stats=ms_stats, prosody_stats=prosody_stats,
                                         speaker_mean=speaker_mean, prosody=prosody), dim=-1)


class RNN(Base):
    """GRU over [MFCC ; MS repeated to the grid] at 100/`pool` Hz, attention pooling, linear."""

    def __init__(self, cfg, norm, n_classes, dims):
        super().__init__(cfg, norm, n_classes, dims)
        m = cfg["model"]
        self.pool = m.get("time_pool", 4)
        d_in = (self.n_mfcc if self.use_mfcc else 0) + (self.n_ms if self.use_ms else 0)
        h = m.get("hidden", 64)
        self.proj = nn.Sequential(nn.Linear(d_in, m.get("proj", 64)), nn.ReLU(), nn.Dropout(m.get("dropout", 0.2)))
        self.gru = nn.GRU(m.get("proj", 64), h, num_layers=m.get("layers", 1), batch_first=True,
                          bidirectional=m.get("bidirectional", False))
        d = h * (2 if m.get("bidirectional", False) else 1)
        self.poolt = AttentivePool(d, with_std=False)
        self.drop = nn.Dropout(m.get("dropout", 0.2))
        self.out = nn.Linear(self.poolt.out_dim, n_classes)

    def logits(self, mfcc, ms, **_):
        parts = []
        if self.use_mfcc:
            x = self.mfcc_norm(mfcc)
            n_grid = x.shape[1] // self.pool
        else:
            n_grid = mfcc.shape[1] // self.pool
        if self.use_mfcc:
            if self.pool > 1:
                x = F.avg_pool1d(x.transpose(1, 2), self.pool).transpose(1, 2)
            parts.append(x)
        if self.use_ms:
            s = self.ms_norm(ms)
            idx = ms_index(n_grid, s.shape[1], self.mfcc_ms * self.pool, self.hop_ms)
            parts.append(torch.index_select(s, 1, idx))
        x = torch.cat(parts, 2) if len(parts) > 1 else parts[0]
        h, _ = self.gru(self.proj(x))
        return self.out(self.drop(self.poolt(h)))


class ConvFrontEnd(nn.Module):
    """MS branch: the MS frames as an image [B, M channels, Tms, A acoustic bands], 2 conv blocks.
         pooling='freq': pool (1 x 2) along acoustic frequency only -> time resolution kept;
         pooling='2x2' : plain 2x2 max pooling (time and frequency) -- the ablation.
       MFCC branch: 1-D convs over time (13 coefficient channels), max-pool 2 in time twice -> 25 Hz.
       Output: [B, T25, C] with the MS branch repeated onto the 25 Hz grid."""

    def __init__(self, base, m):
        super().__init__()
        self.__dict__["base"] = base  # plain reference, not a submodule (avoids a cycle)
        c1, c2 = m.get("ms_channels", [16, 32])
        self.pooling = m.get("pooling", "freq")
        dout = 0
        if base.use_ms:
            self.ms_conv1 = nn.Sequential(nn.Conv2d(base.M, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU())
            self.ms_conv2 = nn.Sequential(nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU())
            a = base.A // 2 // 2 if self.pooling == "freq" else -(-(-(-base.A // 2)) // 2)
            self.ms_proj = nn.Sequential(nn.Linear(c2 * a, m.get("ms_out", 48)), nn.ReLU())
            dout += m.get("ms_out", 48)
        if base.use_mfcc:
            k1, k2 = m.get("mfcc_channels", [32, 48])
            self.mfcc_conv = nn.Sequential(
                nn.Conv1d(base.n_mfcc, k1, 5, padding=2), nn.BatchNorm1d(k1), nn.ReLU(), nn.MaxPool1d(2),
                nn.Conv1d(k1, k2, 5, padding=2), nn.BatchNorm1d(k2), nn.ReLU(), nn.MaxPool1d(2))
            dout += k2
        self.out_dim = dout
        self.drop = nn.Dropout(m.get("dropout", 0.2))

    def forward(self, mfcc, ms, speaker_mean=None, prosody=None):
        b = self.base
        if b.speaker_frames:
            mf_mean, ms_mean = profile_frame_means(speaker_mean[:, None], b.mfcc_width, ms.shape[2])
            mfcc, ms = mfcc - mf_mean, ms - ms_mean
        if b.prosody_frames:
            mfcc = torch.cat([mfcc, prosody_frame_features(prosody, speaker_mean[:, None])], 2)
        n_grid = mfcc.shape[1] // 4
        parts = []
        if b.use_mfcc:
            x = b.mfcc_norm(mfcc).transpose(1, 2)          # [B, 13 (+ 5 prosody), T]
            parts.append(self.mfcc_conv(x).transpose(1, 2))  # [B, T//4, k2]
        if b.use_ms:
            s = b.ms_norm(ms)                               # [B, Tms, A*M] acoustic-major
            B_, Tm = s.shape[0], s.shape[1]
            s = s.reshape(B_, Tm, b.A, b.M).permute(0, 3, 1, 2)  # [B, M, Tms, A]
            if self.pooling == "freq":
                s = F.max_pool2d(self.ms_conv1(s), (1, 2))
                s = F.max_pool2d(self.ms_conv2(s), (1, 2))
                hop = b.hop_ms
            else:  # plain 2x2 (time and frequency); pad time so short inputs survive
                s = F.max_pool2d(self.ms_conv1(s), 2, ceil_mode=True)
                s = F.max_pool2d(self.ms_conv2(s), 2, ceil_mode=True)
                hop = b.hop_ms * 4
            s = s.permute(0, 2, 1, 3).flatten(2)            # [B, Tms', c2*A']
            s = self.ms_proj(s)
            idx = ms_index(n_grid, s.shape[1], b.mfcc_ms * 4, hop)
            parts.append(torch.index_select(s, 1, idx))
        x = torch.cat(parts, 2) if len(parts) > 1 else parts[0]
        return self.drop(x)


class CNN(Base):
    """Conv front-end + temporal pooling (attentive statistics 'asp' or plain 'mean') + linear."""

    def __init__(self, cfg, norm, n_classes, dims):
        super().__init__(cfg, norm, n_classes, dims)
        m = cfg["model"]
        self.front = ConvFrontEnd(self, m)
        d = self.front.out_dim
        self.poolt = AttentivePool(d) if m.get("temporal_pool", "asp") == "asp" else MeanPool(d)
        self.out = nn.Sequential(nn.Dropout(m.get("dropout", 0.2)), nn.Linear(self.poolt.out_dim, n_classes))

    def logits(self, mfcc, ms, **_):
        return self.out(self.poolt(self.front(mfcc, ms)))


class StatsBranch(nn.Module):
    """Utterance statistics (the MLR/SVM inputs: 65 MFCC statistics computed in the graph from mfcc + vad,
    and the C# ms_stats) standardised with training constants -> dropout -> linear -> ReLU."""

    def __init__(self, norm, sc):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(norm["stats_mean"], dtype=torch.float32))
        self.register_buffer("inv_std", 1.0 / torch.as_tensor(norm["stats_std"], dtype=torch.float32))
        d = len(norm["stats_mean"])
        h = sc.get("hidden", 32)
        if h > 0:
            self.net = nn.Sequential(nn.Dropout(sc.get("dropout", 0.3)), nn.Linear(d, h), nn.ReLU())
        else:  # no hidden layer: the standardised statistics themselves (for a linear head)
            self.net = nn.Dropout(sc.get("dropout", 0.3))
        self.out_dim = h if h > 0 else d

    @staticmethod
    def raw(mfcc, vad, ms_stats, prosody_stats=None):
        parts = [mfcc_stats(mfcc, vad), ms_stats] + ([prosody_stats] if prosody_stats is not None else [])
        return torch.cat(parts, 1)

    def forward(self, stats):
        return self.net((stats - self.mean) * self.inv_std)


class CNNRNN(Base):
    """Conv front-end (frequency-only pooling) -> GRU over the 25 Hz grid -> attention pooling -> softmax.
    Optional (model.stats_branch): a small branch on the utterance statistics, concatenated with the
    pooled GRU output before the classifier (then the graph also takes vad and ms_stats)."""

    def __init__(self, cfg, norm, n_classes, dims):
        super().__init__(cfg, norm, n_classes, dims)
        m = cfg["model"]
        self.front = ConvFrontEnd(self, m)
        h = m.get("hidden", 64)
        self.gru = nn.GRU(self.front.out_dim, h, batch_first=True, bidirectional=m.get("bidirectional", False))
        d = h * (2 if m.get("bidirectional", False) else 1)
        self.poolt = AttentivePool(d, with_std=m.get("asp_std", False))
        d_out = self.poolt.out_dim
        self.uses_stats = bool(m.get("stats_branch"))
        # fusion 'concat': [pooled GRU ; stats branch] -> one linear classifier;
        # fusion 'logits': each branch has its own linear classifier, the output is the sum of their logits
        # (a product of experts), each branch also trained on its own by an auxiliary loss (train.py)
        self.fusion = m["stats_branch"].get("fusion", "concat") if self.uses_stats else None
        if self.uses_stats:
            self.stats = StatsBranch(norm, m["stats_branch"])
            if self.fusion == "concat":
                d_out += self.stats.out_dim
            else:
                self.stats_out = nn.Linear(self.stats.out_dim, n_classes)
        self.out = nn.Sequential(nn.Dropout(m.get("dropout", 0.2)), nn.Linear(d_out, n_classes))

    def branch_logits(self, mfcc, ms, vad=None, ms_stats=None, stats=None, prosody_stats=None, speaker_mean=None,
                      prosody=None):
        """(output logits, [per-branch logits] for the auxiliary losses; empty unless fusion = 'logits').
        stats given (training): already speaker-centred where the config says so."""
        h, _ = self.gru(self.front(mfcc, ms, speaker_mean, prosody))
        z = self.poolt(h)
        if not self.uses_stats:
            return self.out(z), []
        if stats is None:
            stats = StatsBranch.raw(mfcc, vad, ms_stats, prosody_stats if self.uses_prosody else None)
            if self.uses_speaker:
                stats = stats - speaker_mean
        s = self.stats(stats)
        if self.fusion == "concat":
            return self.out(torch.cat([z, s], 1)), []
        a, b = self.out(z), self.stats_out(s)
        return a + b, [a, b]

    def logits(self, mfcc, ms, vad=None, ms_stats=None, stats=None, prosody_stats=None, speaker_mean=None,
               prosody=None):
        return self.branch_logits(mfcc, ms, vad, ms_stats, stats, prosody_stats, speaker_mean, prosody)[0]


class Ensemble(nn.Module):
    """Seed ensemble exported as one graph: the average of the members' probabilities."""

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)
        m0 = members[0]
        self.uses_stats, self.uses_prosody, self.input_names = m0.uses_stats, m0.uses_prosody, m0.input_names
        self.uses_speaker, self.prosody_frames = m0.uses_speaker, m0.prosody_frames
        self.A, self.M, self.mfcc_ms, self.hop_ms = m0.A, m0.M, m0.mfcc_ms, m0.hop_ms
        self.mfcc_width = m0.mfcc_width
        if self.uses_stats:
            self.stats = m0.stats

    def forward(self, mfcc, ms, vad=None, ms_stats=None, prosody_stats=None, speaker_mean=None, prosody=None):
        ps = [m(mfcc, ms, vad, ms_stats, prosody_stats, speaker_mean, prosody) for m in self.members]
        return torch.stack(ps, 0).mean(0)


class WithUtteranceStats(nn.Module):
    """Export wrapper for speaker-normalised models: (probabilities, the raw utterance statistics). The service
    averages the second output over a speaker's recordings to make the speaker_mean input, so the statistics
    come from the graph itself and cannot drift from what the model subtracts."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, mfcc, ms, vad, ms_stats, prosody_stats=None, speaker_mean=None, prosody=None):
        raw = StatsBranch.raw(mfcc, vad, ms_stats, prosody_stats if self.model.uses_prosody else None)
        return self.model(mfcc, ms, vad, ms_stats, prosody_stats, speaker_mean, prosody), raw


ARCHS = {"rnn": RNN, "cnn": CNN, "cnn_rnn": CNNRNN}


def build(cfg, norm, n_classes, dims):
    return ARCHS[cfg["model"]["arch"]](cfg, norm, n_classes, dims)


def count_macs(model, T=100, Tms=None, dims=None, n_prosody=0):
    """Multiply-accumulates for one forward pass on T MFCC frames (T=100: one second of audio)."""
    if Tms is None:
        Tms = max(1, int(round(T * model.mfcc_ms / model.hop_ms)))
    macs = [0]

    def conv_hook(mod, inp, out):
        k = 1
        for s in mod.kernel_size:
            k *= s
        macs[0] += out.numel() * (mod.in_channels // mod.groups) * k

    def lin_hook(mod, inp, out):
        macs[0] += out.numel() * mod.in_features

    def gru_hook(mod, inp, out):
        x = inp[0]
        steps = x.shape[0] * x.shape[1]
        dirs = 2 if mod.bidirectional else 1
        h = mod.hidden_size
        i = mod.input_size
        for layer in range(mod.num_layers):
            macs[0] += steps * dirs * 3 * h * (i + h)
            i = h * dirs

    hooks = []
    for mod in model.modules():
        if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(lin_hook))
        elif isinstance(mod, nn.GRU):
            hooks.append(mod.register_forward_hook(gru_hook))
    model.eval()
    extra = {}
    if model.uses_stats:
        extra = {"vad": torch.ones(1, T), "ms_stats": torch.zeros(1, model.stats.mean.numel() - 5 * model.mfcc_width - n_prosody)}
        if model.uses_prosody:
            extra["prosody_stats"] = torch.zeros(1, n_prosody)
        if getattr(model, "uses_speaker", False):
            extra["speaker_mean"] = torch.zeros(1, model.stats.mean.numel())
        if getattr(model, "prosody_frames", False):
            extra["prosody"] = torch.zeros(1, T, 5)
    with torch.no_grad():
        model(torch.zeros(1, T, model.mfcc_width), torch.zeros(1, Tms, model.A * model.M), **extra)
    for h in hooks:
        h.remove()
    return macs[0]


def n_params(model):
    return sum(p.numel() for p in model.parameters())  # shared modules (Ensemble.stats) count once
