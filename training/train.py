"""Training loop for the torch sequence models (one fold, or all speakers for the final model)."""
import copy
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.feature_selection import mutual_info_classif

from . import data, metrics
from . import models as M
from .models import build, profile_frame_means


def check_prosody_layout(corpus):
    """models.prosody_frame_features reads the profile's prosody means by position: the export must agree."""
    names = corpus.index["prosody"]["statisticNames"]
    expected = {M.F0_MEAN: "pr_f0_mean", M.ENERGY_MEAN: "pr_energy_mean", M.LOWBAND_MEAN: "pr_lowband_mean"}
    if len(names) != M.PROSODY_STATS or any(names[k] != v for k, v in expected.items()):
        raise ValueError(f"{corpus.root}: prosody statistics are not laid out as models.prosody_frame_features reads them")


def relative_prosody(corpus, idx, offsets):
    """{i: [T, 5]} the prosody frames of utterance i relative to its speaker (offsets [N, D], as the graph does)."""
    with torch.no_grad():
        return {int(i): M.prosody_frame_features(torch.from_numpy(corpus.prosody[i]),
                                                 torch.from_numpy(offsets[i][None])).numpy() for i in idx}


def frame_norm(corpus, idx, offsets=None, prosody=None):
    """Per-dimension mean/std of the training frames; with offsets [N, D] (speaker-centred frames, see
    models.ConvFrontEnd) of the frames minus their speaker's MFCC (0..C-1) and MS (5C..) means; with prosody
    ({i: [T, 5]}, relative_prosody) the MFCC stream's statistics cover those 5 channels too."""
    means = (lambda i: profile_frame_means(offsets[i], corpus.mfcc_width, corpus.ms[i].shape[1])) if offsets is not None else (lambda i: (0.0, 0.0))
    extra = (lambda i: [prosody[int(i)]]) if prosody is not None else (lambda i: [])
    m = np.concatenate([np.concatenate([corpus.mfcc[i] - means(i)[0]] + extra(i), 1) for i in idx]).astype(np.float64)
    s = np.concatenate([corpus.ms[i] - means(i)[1] for i in idx]).astype(np.float64)
    ms_std = s.std(0)
    mf_std = m.std(0)
    return {"mfcc_mean": m.mean(0), "mfcc_std": np.where(mf_std < 1e-6, 1.0, mf_std),
            "ms_mean": s.mean(0), "ms_std": np.where(ms_std < 1e-6, 1.0, ms_std)}


def frame_selection(corpus, idx, k, seed):
    """MI ranking (training fold only) of the C + A*M frame dimensions (C MFCCs), each summarised by its
    utterance mean; keep the top k (at least one per stream)."""
    C = corpus.mfcc_width
    X = np.stack([np.concatenate([corpus.mfcc[i].mean(0), corpus.ms[i].mean(0)]) for i in idx])
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    mi = mutual_info_classif(X, corpus.y[idx], n_neighbors=3, random_state=seed)
    top = np.argsort(-mi, kind="stable")[:k]
    mf = sorted(int(c) for c in top if c < C)
    ms = sorted(int(c) - C for c in top if c >= C)
    if not mf:
        mf = [int(np.argmax(mi[:C]))]
    if not ms:
        ms = [int(np.argmax(mi[C:]))]
    return mf, ms, mi


def utterance_stats(corpus, prosody=False):
    """[N, 5C + S (+ P)] float32: the stats branch's input for every file, by the same torch function the ONNX
    graph runs (models.mfcc_stats on the full utterance + the C# ms_stats, + the C# prosody_stats with
    prosody). Cached on the corpus."""
    if prosody:
        corpus.require_prosody()
        return np.concatenate([utterance_stats(corpus), corpus.prosody_stats], 1).astype(np.float32)
    if getattr(corpus, "_utt_stats", None) is None:
        import torch
        from .models import mfcc_stats
        with torch.no_grad():
            rows = [mfcc_stats(torch.from_numpy(corpus.mfcc[i][None]),
                               torch.from_numpy(corpus.vad[i][None].astype(np.float32)))[0].numpy()
                    for i in range(corpus.n)]
        corpus._utt_stats = np.concatenate([np.stack(rows), corpus.ms_stats], 1).astype(np.float32)
    return corpus._utt_stats


def stats_norm(corpus, idx, prosody=False):
    X = utterance_stats(corpus, prosody)[idx].astype(np.float64)
    sd = X.std(0)
    return {"stats_mean": X.mean(0), "stats_std": np.where(sd < 1e-6, 1.0, sd)}


def speaker_offsets(X, speakers, idx, enrol=None, seed=0):
    """[len(idx), D]: the speaker mean of the statistics X that utterance i is normalised with.
    enrol=None (training speakers): the mean over all of that speaker's utterances in idx (labels unused).
    enrol=k (speakers being evaluated): the mean over k other utterances of the same speaker drawn at random
    (seeded per utterance; "all" = every other one), as the service builds a speaker profile from earlier
    recordings, never from the one it is scoring."""
    idx = np.asarray(idx)
    out = np.zeros((len(idx), X.shape[1]), dtype=np.float64)
    if enrol is None:
        for s in set(speakers[idx].tolist()):
            rows = idx[speakers[idx] == s]
            out[speakers[idx] == s] = X[rows].astype(np.float64).mean(0)
        return out.astype(np.float32)
    return profile_means(X, profile_rows(speakers, idx, enrol, seed))


def profile_rows(speakers, idx, enrol, seed=0):
    """For each utterance in idx, the other utterances of its speaker that its profile averages (see speaker_offsets)."""
    out = []
    for i in np.asarray(idx):
        others = np.where((speakers == speakers[i]) & (np.arange(len(speakers)) != i))[0]
        if enrol != "all" and len(others) > int(enrol):
            others = np.random.default_rng(seed * 100003 + int(i)).choice(others, int(enrol), replace=False)
        out.append(others)
    return out


def profile_means(X, rows, comp=None):
    """[len(rows), D] float32: each profile's mean statistics, emotion-compensated with comp (profiles.fit)."""
    from . import profiles
    if len(rows) == 0:
        return np.zeros((0, X.shape[1]), np.float32)
    return np.stack([profiles.compensated(comp, X[r]) if comp is not None else X[r].astype(np.float64).mean(0)
                     for r in rows]).astype(np.float32)


def sampled_profiles(mb, same, speakers, S_raw, enrol, rng):
    """Config speaker_norm.train = "sampled": [len(mb), D] each utterance's profile as a test speaker's is built, the
    mean of `enrol` other recordings of its speaker drawn afresh (same: speaker -> its training utterances), for the
    statistics and, with frames, the frame streams alike; instead of the speaker's full mean."""
    rows = []
    for i in mb:
        others = same[speakers[i]]
        others = others[others != i]
        rows.append(rng.choice(others, min(enrol, len(others)), replace=False))
    return profile_means(S_raw, rows)


def dims_of(corpus):
    return {"A": corpus.acoustic_bands, "M": corpus.modulation_bands, "n_mfcc": corpus.mfcc_width,
            "ms_shift": corpus.ms_shift, "mfcc_shift": corpus.mfcc_shift}


class Cropper:
    """frames: {i: [T, C]} to crop instead of the MFCCs (same frame grid; the MFCCs with extra channels)."""

    def __init__(self, corpus, crop_seconds, frames=None):
        self.c = corpus
        self.frames = frames
        self.ratio = corpus.ms_shift / corpus.mfcc_shift
        self.Lk = max(1, int(round(crop_seconds / corpus.ms_shift)))
        self.L = int(round(self.Lk * self.ratio))

    def __call__(self, i, rng, random=True):
        m, s = (self.c.mfcc[i] if self.frames is None else self.frames[int(i)]), self.c.ms[i]
        reps = 1
        while len(s) * reps < self.Lk or len(m) * reps < self.L:
            reps += 1
        if reps > 1:
            m, s = np.concatenate([m] * reps), np.concatenate([s] * reps)
        span = len(s) - self.Lk
        k0 = int(rng.integers(0, span + 1)) if random else span // 2
        t0 = min(int(round(k0 * self.ratio)), len(m) - self.L)
        return m[t0:t0 + self.L], s[k0:k0 + self.Lk]


def augment(mf, ms, norm, aug, rng, ratio):
    """In-place feature-domain augmentation of a batch (numpy float32 [B,L,C], [B,Lk,F]; C MFCCs (+ prosody
    channels, never masked by coefficient))."""
    B = mf.shape[0]
    if aug.get("noise", 0) > 0:
        mf += rng.normal(0, 1, mf.shape).astype(np.float32) * (aug["noise"] * norm["mfcc_std"]).astype(np.float32)
        ms += rng.normal(0, 1, ms.shape).astype(np.float32) * (aug["noise"] * norm["ms_std"]).astype(np.float32)
    if aug.get("specaugment"):
        sa = aug["specaugment"]
        A, M = aug["_A"], aug["_M"]
        for b in range(B):
            for _ in range(sa.get("time_masks", 2)):
                w = int(rng.integers(0, sa.get("time_width", 20) + 1))
                t0 = int(rng.integers(0, max(1, mf.shape[1] - w)))
                mf[b, t0:t0 + w] = norm["mfcc_mean"]
                k0, k1 = int(t0 / ratio), int(math.ceil((t0 + w) / ratio))
                if w > 0:
                    ms[b, k0:k1] = norm["ms_mean"]
            for _ in range(sa.get("mfcc_masks", 1)):
                w = int(rng.integers(0, sa.get("mfcc_width", 3) + 1))
                c0 = int(rng.integers(0, aug["_C"] - w + 1))
                mf[b, :, c0:c0 + w] = norm["mfcc_mean"][c0:c0 + w]
            for _ in range(sa.get("band_masks", 1)):
                w = int(rng.integers(0, sa.get("band_width", 3) + 1))
                a0 = int(rng.integers(0, A - w + 1))
                sl = slice(a0 * M, (a0 + w) * M)
                ms[b, :, sl] = norm["ms_mean"][sl]
    return mf, ms


def predict(model, corpus, idx, batch=64, offsets=None):
    """Full-length utterances; batches of equal shapes. Models with a statistics branch get vad and ms_stats
    and compute the statistics in the graph, as in ONNX. Speaker-normalised models: offsets [len(idx), D] =
    each utterance's speaker_mean input (speaker_offsets)."""
    off = {int(i): o for i, o in zip(idx, offsets)} if offsets is not None else None
    model.eval()
    groups = {}
    for i in idx:
        groups.setdefault((len(corpus.mfcc[i]), len(corpus.ms[i])), []).append(i)
    probs = {}
    with torch.no_grad():
        for _, members in groups.items():
            for s in range(0, len(members), batch):
                mb = members[s:s + batch]
                mf = torch.from_numpy(np.stack([corpus.mfcc[i] for i in mb]))
                ms = torch.from_numpy(np.stack([corpus.ms[i] for i in mb]))
                if getattr(model, "uses_stats", False):
                    vad = torch.from_numpy(np.stack([corpus.vad[i] for i in mb]).astype(np.float32))
                    st = torch.from_numpy(corpus.ms_stats[mb])
                    ps = torch.from_numpy(corpus.prosody_stats[mb]) if getattr(model, "uses_prosody", False) else None
                    sm = torch.from_numpy(np.stack([off[i] for i in mb])) if getattr(model, "uses_speaker", False) else None
                    pr = torch.from_numpy(np.stack([corpus.prosody[i] for i in mb])) if getattr(model, "prosody_frames", False) else None
                    p = model(mf, ms, vad, st, ps, sm, pr).numpy()
                else:
                    p = model(mf, ms).numpy()
                for i, pi in zip(mb, p):
                    probs[i] = pi
    return np.stack([probs[i] for i in idx])


def versions(corpus, idx, perturbed):
    """The training files grouped by recording: with speed-perturbed copies (merged as `<corpus>_<tag>:<path>`)
    a recording's original and its copies form one group, else every file is its own."""
    keys = data.unprefixed([corpus.paths[i] for i in idx]) if perturbed else idx
    groups = {}
    for k, i in zip(keys, idx):
        groups.setdefault(k, []).append(int(i))
    return [np.array(g) for g in groups.values()]


def epoch_order(groups, rng):
    """One epoch: every recording once, as one of its versions drawn at random, so copies add variety at the cost
    of one corpus, not three (without copies: a permutation of the files, as before copies existed)."""
    return np.array([g[rng.integers(len(g))] if len(g) > 1 else g[0] for g in groups])[rng.permutation(len(groups))]


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; the gradient times -weight backward (Ganin & Lempitsky's gradient reversal layer)."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.weight * g, None


class SpeakerAdversary:
    """Config "speaker_adversary": {"weight": w}: a linear speaker classifier on the features the emotion classifier
    reads, trained through a gradient reversal layer, so the network is pushed to keep what tells speakers apart out of
    them. Training only: the head is not part of the model and not exported; the features are taken from the
    classifier's input by a forward hook, removed by close(). A perturbed copy is a speaker of its own (its voice
    differs)."""

    def __init__(self, model, speakers, train_idx, weight):
        names = sorted(set(speakers[train_idx].tolist()))
        self.index = np.full(len(speakers), -1, dtype=np.int64)  # speaker class per utterance; -1: not a training one
        for k, s in enumerate(names):
            self.index[speakers == s] = k
        self.head = nn.Linear(model.out[1].in_features, len(names))
        self.weight = weight
        self._fused = None
        self._hook = model.out.register_forward_hook(self._capture)

    def _capture(self, _module, inputs, _output):
        self._fused = inputs[0]

    def targets(self, mb):
        return F.one_hot(torch.from_numpy(self.index[mb]), self.head.out_features).float()

    def loss(self, targets, ramp):
        """The head's cross entropy on the last forward pass; its gradient reaches the network reversed."""
        feats = _ReverseGradient.apply(self._fused, self.weight * ramp)
        return -(targets * F.log_softmax(self.head(feats), -1)).sum(1).mean()

    def close(self):
        self._hook.remove()


def speaker_adversary(cfg, corpus, train_idx, model):
    """The config's SpeakerAdversary for model, or None without one."""
    adv = cfg.get("speaker_adversary")
    if not adv:
        return None
    if not (model.uses_stats and model.fusion == "concat"):
        raise ValueError("speaker_adversary needs the CNN-RNN with a concatenated statistics branch")
    return SpeakerAdversary(model, corpus.speakers, train_idx, adv["weight"])


def train_model(cfg, corpus, train_idx, val_idx, seed, epochs=None, log=print):
    """Train on train_idx; if val_idx is given, keep the epoch with the best validation UAR."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tcfg, aug = cfg["train"], dict(cfg.get("augment", {}))
    aug["_A"], aug["_M"], aug["_C"] = corpus.acoustic_bands, corpus.modulation_bands, corpus.mfcc_width
    norm = frame_norm(corpus, train_idx)
    sb = cfg["model"].get("stats_branch")
    spk = cfg.get("speaker_norm")
    val_offsets = None
    if sb:
        S_all = utterance_stats(corpus, cfg.get("prosody", False))
        if spk:  # training speakers centred on their own mean; validation speakers as test speakers are
            S_raw = S_all
            S_all = S_all.copy()
            S_all[train_idx] -= speaker_offsets(S_all, corpus.speakers, train_idx)
            if spk.get("train") == "sampled":  # each batch: profiles of enrol other recordings, as at test time
                same = {s: train_idx[corpus.speakers[train_idx] == s] for s in set(corpus.speakers[train_idx].tolist())}
            if val_idx is not None and len(val_idx):
                val_offsets = speaker_offsets(utterance_stats(corpus, cfg.get("prosody", False)), corpus.speakers,
                                              val_idx, spk.get("enrol", 20), seed)
            X = S_all[train_idx].astype(np.float64)
            sd = X.std(0)
            norm.update({"stats_mean": X.mean(0), "stats_std": np.where(sd < 1e-6, 1.0, sd)})
        else:
            norm.update(stats_norm(corpus, train_idx, cfg.get("prosody", False)))
    frames = bool(spk and spk.get("frames"))
    pros_frames, joined = bool(cfg["model"].get("prosody_frames")), None
    if frames:  # the frame streams centred on each training speaker's own mean, as the graph does with a profile
        train_off = np.zeros((corpus.n, S_raw.shape[1]), dtype=np.float32)
        train_off[train_idx] = speaker_offsets(S_raw, corpus.speakers, train_idx)
        rel = None
        if pros_frames:  # relative to the speaker once, here; the graph then sees a zero profile (sm below)
            check_prosody_layout(corpus)
            rel = relative_prosody(corpus, train_idx, train_off)
            joined = {i: np.concatenate([corpus.mfcc[i], p], 1) for i, p in rel.items()}
        norm.update(frame_norm(corpus, train_idx, train_off, rel))
    sel = None
    if cfg.get("selection"):
        mf_cols, ms_cols, mi = frame_selection(corpus, train_idx, cfg["selection"]["k_frame"], seed)
        norm["mfcc_cols"], norm["ms_cols"] = mf_cols, ms_cols
        sel = {"mfcc_cols": mf_cols, "ms_cols": ms_cols}
    K = len(corpus.labels)
    model = build(cfg, norm, K, dims_of(corpus))
    adversary = speaker_adversary(cfg, corpus, train_idx, model)
    params = list(model.parameters()) + (list(adversary.head.parameters()) if adversary else [])
    epochs = epochs or tcfg["epochs"]
    opt = torch.optim.AdamW(params, lr=tcfg.get("lr", 2e-3), weight_decay=tcfg.get("weight_decay", 1e-2))
    bs = tcfg.get("batch_size", 32)
    groups = versions(corpus, train_idx, bool(cfg.get("perturbed")))
    steps_per_epoch = int(math.ceil(len(groups) / bs))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tcfg.get("lr", 2e-3), total_steps=epochs * steps_per_epoch,
                                                pct_start=0.2)
    counts = np.bincount(corpus.y[train_idx], minlength=K).astype(np.float64)
    cw = torch.tensor(np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / K, 0.0), dtype=torch.float32)
    if not tcfg.get("class_weights", True):
        cw = torch.ones(K)
    crop = Cropper(corpus, tcfg.get("crop_seconds", 1.6), joined)
    random_crop = aug.get("random_crop", True)
    best = (-1.0, 0, None)
    history = []
    t_start = time.time()
    patience = tcfg.get("patience", 1000)
    sampling = bool(spk and spk.get("train") == "sampled")
    for ep in range(1, epochs + 1):
        model.train()
        order = epoch_order(groups, rng)
        tot = 0.0
        for s in range(0, len(order), bs):
            mb = order[s:s + bs]
            if len(mb) < 2:
                continue
            pairs = [crop(i, rng, random_crop) for i in mb]
            mf = np.stack([p[0] for p in pairs]).astype(np.float32)
            ms = np.stack([p[1] for p in pairs]).astype(np.float32)
            sm = None
            sampled = None
            draw = lambda: sampled_profiles(mb, same, corpus.speakers, S_raw, int(spk.get("enrol", 20)), rng)
            if frames:  # centred here, before the masks (which fill in the centred domain); the graph then subtracts 0
                sampled = draw() if sampling else None
                off = train_off[mb] if sampled is None else sampled
                mf_mean, ms_mean = profile_frame_means(off[:, None], corpus.mfcc_width, ms.shape[2])
                mf[..., :corpus.mfcc_width] -= mf_mean
                ms -= ms_mean
                sm = torch.zeros(len(mb), train_off.shape[1])
            mf, ms = augment(mf, ms, norm, aug, rng, crop.ratio)
            y = torch.from_numpy(corpus.y[mb])
            mf, ms = torch.from_numpy(mf), torch.from_numpy(ms)
            pr = None
            if pros_frames:  # cropped, masked and noised with the MFCCs as the last 5 channels; the graph takes them apart
                C = corpus.mfcc_width
                mf, pr = mf[..., :C].contiguous(), mf[..., C:].contiguous()
            target = F.one_hot(y, K).float()
            if adversary:
                spk_target = adversary.targets(mb)
            st = None
            if sb:  # full-utterance statistics (the sequence branch sees the crop), optional noise
                if sampling and sampled is None:  # drawn here without frames (the random stream of earlier runs)
                    sampled = draw()
                st = S_all[mb].copy() if sampled is None else (S_raw[mb] - sampled).astype(np.float32)
                if sb.get("noise", 0) > 0:
                    st += (rng.normal(0, 1, st.shape) * sb["noise"] * norm["stats_std"]).astype(np.float32)
                st = torch.from_numpy(st)
            if aug.get("mixup", 0) > 0:
                lam = float(rng.beta(aug["mixup"], aug["mixup"]))
                perm = torch.from_numpy(rng.permutation(len(mb)))
                mf = lam * mf + (1 - lam) * mf[perm]
                ms = lam * ms + (1 - lam) * ms[perm]
                if pr is not None:
                    pr = lam * pr + (1 - lam) * pr[perm]
                target = lam * target + (1 - lam) * target[perm]
                if adversary:
                    spk_target = lam * spk_target + (1 - lam) * spk_target[perm]
                if st is not None:
                    st = lam * st + (1 - lam) * st[perm]
            ls = tcfg.get("label_smoothing", 0.1)
            target = target * (1 - ls) + ls / K
            if sb:
                out, branches = model.branch_logits(mf, ms, stats=st, speaker_mean=sm, prosody=pr)
            else:
                out, branches = model.logits(mf, ms), []
            loss = -(target * F.log_softmax(out, -1) * cw).sum(1).mean()
            if adversary:  # the head learns to tell the speakers apart; reversed, the network learns to hide them
                ramp = min(1.0, (ep - 1 + s / len(order)) / max(1, epochs // 2))  # 0 -> 1 over the first half
                loss = loss + adversary.loss(spk_target, ramp)
            for bl in branches:  # auxiliary losses: every branch must classify on its own too
                loss = loss - sb.get("aux_weight", 0.5) * (target * F.log_softmax(bl, -1) * cw).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            tot += float(loss) * len(mb)
        rec = {"epoch": ep, "train_loss": tot / len(train_idx)}
        if val_idx is not None and len(val_idx):
            p = predict(model, corpus, val_idx, offsets=val_offsets)
            r = metrics.evaluate(corpus.y[val_idx], p.argmax(1), corpus.labels)
            rec["val_uar"], rec["val_acc"] = r["uar"], r["accuracy"]
            if r["uar"] > best[0]:
                best = (r["uar"], ep, copy.deepcopy(model.state_dict()))
            if ep - best[1] >= patience:
                history.append(rec)
                break
        history.append(rec)
    if adversary:
        adversary.close()
    if val_idx is not None and len(val_idx) and best[2] is not None:
        model.load_state_dict(best[2])
    info = {"best_epoch": best[1] if val_idx is not None else epochs, "best_val_uar": best[0],
            "seconds": round(time.time() - t_start, 1), "history": history, "selection": sel}
    return model, norm, info
