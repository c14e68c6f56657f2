"""Speaker-independent folds, identical for every model on a corpus.

* EmoDB (and any corpus with <= 12 speakers): leave-one-speaker-out.
* RAVDESS: speakers sorted, cut into 6 consecutive groups (actors 01-03, 04-06, ...; 3 actors each).
Validation speakers for early stopping come from the training speakers only: the speaker(s)
that follow the test group in sorted order (cyclically); 1 for LOSO, 2 for grouped folds.
"""
import numpy as np


def make_folds(speakers, scheme="auto", groups=6):
    spk = sorted(set(speakers.tolist()))
    if scheme == "auto":
        scheme = "loso" if len(spk) <= 12 else "groups"
    if scheme == "loso":
        test_groups = [[s] for s in spk]
        n_val = 1
    else:
        per = int(np.ceil(len(spk) / groups))
        test_groups = [spk[i:i + per] for i in range(0, len(spk), per)]
        n_val = 2
    folds = []
    for gi, test in enumerate(test_groups):
        rest = [s for s in spk if s not in test]
        # first speakers after the test group, cyclically
        start = spk.index(test[-1]) + 1
        order = [spk[(start + j) % len(spk)] for j in range(len(spk))]
        val = [s for s in order if s in rest][:n_val]
        train = [s for s in rest if s not in val]
        te = np.where(np.isin(speakers, test))[0]
        va = np.where(np.isin(speakers, val))[0]
        tr = np.where(np.isin(speakers, train))[0]
        assert not set(speakers[te]) & set(speakers[tr]) and not set(speakers[te]) & set(speakers[va])
        folds.append({"fold": gi, "test_speakers": test, "val_speakers": val, "train_speakers": train,
                      "train": tr, "val": va, "test": te})
    return folds
