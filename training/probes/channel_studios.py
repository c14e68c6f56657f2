"""Probe: what a channel detector trained on one corpus hears in the other's clean studio recordings.

The shipped detector (training/route.py) is fitted on every speaker's clean recordings (and clean copies with other
silences around the speech, tools/degrade.py margins1) against their phone, noise and room copies. Fitted on one
corpus alone it learns that studio's sound as "clean"; this counts what it then calls the other corpus's clean
recordings (clean / phone / noise / room), with and without the margins1 copies, beside the same corpus's test
conditions (heard by a detector that saw them only as training copies of their kind):

    /usr/bin/python3 -m training.probes.channel_studios [--features-root /work/features]

(Features of both corpora and of their augphone1/2, augnoise1/2, augroom1/2, margins1 copies; half a minute.)
"""
import argparse
import os

import numpy as np

from .. import data
from ..route import _statistics, channel_probabilities, fit_detector

KINDS = {"phone": ["augphone1", "augphone2"], "noise": ["augnoise1", "augnoise2"], "room": ["augroom1", "augroom2"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features-root", default="/work/features")
    a = ap.parse_args()
    cache = {}

    def stats(name):
        if name not in cache:
            cache[name] = _statistics(data.load(os.path.join(a.features_root, name)))
        return cache[name]

    print("| detector fitted on | clean class | heard as clean / phone / noise / room: " 
          "the other corpus | its margins1 copy | this corpus's phone, noise10, reverb |")
    print("|---|---|---|---|---|")
    for corpus, other in (("ravdess", "emodb"), ("emodb", "ravdess")):
        for clean in ([], ["margins1"]):
            Xc = np.concatenate([stats(corpus)] + [stats(f"{corpus}_{t}") for t in clean])
            det = fit_detector(Xc, [np.concatenate([stats(f"{corpus}_{t}") for t in tags]) for tags in KINDS.values()])
            heard = lambda name: "/".join(str(int(v)) for v in np.bincount(channel_probabilities(det, stats(name)).argmax(1), minlength=4))
            print(f"| {corpus} | clean{' + margins1' if clean else ''} | {heard(other)} | {heard(other + '_margins1')} | "
                  + ", ".join(heard(f"{corpus}_{c}") for c in ("phone", "noise10", "reverb")) + " |", flush=True)


if __name__ == "__main__":
    main()
