"""Stored evaluation runs: the one reader and writer of results/runs.

A run is two files: <config>__<corpus>.json (config, metrics, per-fold results, everything a reader opens) and
<config>__<corpus>.npz (its per-recording arrays: predictions and test probabilities, also those of every
speaker-profile size). In the JSON each array's place holds "npz:<key>", its name in the .npz, so the JSON shows
where it went and load() puts it back in the same place.

Lossless: probabilities are written rounded to 6 decimals (experiment.py rounds them), and any such value in [0, 1]
survives float32 (its spacing there is below 6e-8), so load() rounds the float32 back to 6 decimals and returns
exactly the float64 numbers that were saved. save() checks that and refuses anything it would change. Rows that
were never scored (a corpus's perturbed copies) are NaN, as before.
"""
import glob
import io
import json
import os
import zipfile

import numpy as np

ARRAY_KEYS = ("predictions", "probabilities")
DECIMALS = 6
PREFIX = "npz:"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same arrays give the same bytes (numpy's savez stamps the clock)


def _encode(key, value):
    """The compact array for value (predictions: int16; probabilities: float32), checked to decode back exactly."""
    a = np.asarray(value)
    if key.endswith("predictions"):
        packed = a.astype(np.int16)
        if not np.array_equal(packed, a):
            raise ValueError(f"{key}: predictions do not fit int16")
        return packed
    a = a.astype(np.float64)
    packed = a.astype(np.float32)
    if not np.array_equal(_decode(key, packed), a, equal_nan=True):
        raise ValueError(f"{key}: probabilities are not rounded to {DECIMALS} decimals in [0, 1], float32 would change them")
    return packed


def _decode(key, packed):
    if key.endswith("predictions"):
        return packed.astype(np.int64)
    return np.round(packed.astype(np.float64), DECIMALS)


def split(run):
    """(the JSON part with placeholders, {npz key: compact array})."""
    arrays = {}

    def walk(obj, prefix):
        out = {}
        for k, v in obj.items():
            key = prefix + str(k)
            if k in ARRAY_KEYS and not isinstance(v, str):
                arrays[key] = _encode(key, v)
                out[k] = PREFIX + key
            elif isinstance(v, dict):
                out[k] = walk(v, key + ".")
            else:
                out[k] = v
        return out

    return walk(run, ""), arrays


def join(meta, arrays):
    """The run with every placeholder replaced by its decoded array (and arrays still written as JSON lists, by runs
    from before the .npz, made numpy arrays of the same types)."""
    def walk(obj):
        out = {}
        for k, v in obj.items():
            if isinstance(v, str) and v.startswith(PREFIX):
                key = v[len(PREFIX):]
                out[k] = _decode(key, arrays[key])
            elif k in ARRAY_KEYS and isinstance(v, list):
                out[k] = np.asarray(v, dtype=np.int64 if k == "predictions" else np.float64)
            elif isinstance(v, dict):
                out[k] = walk(v)
            else:
                out[k] = v
        return out

    return walk(meta)


def npz_path(path):
    return os.path.splitext(path)[0] + ".npz"


def save(run, path):
    """Writes run to path (.json) and its arrays beside it (.npz)."""
    meta, arrays = split(run)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if arrays:
        tmp = npz_path(path) + ".tmp"
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for key, a in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, a, allow_pickle=False)
                info = zipfile.ZipInfo(key + ".npy", date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, buf.getvalue(), compresslevel=9)
        os.replace(tmp, npz_path(path))
    with open(path, "w") as f:
        json.dump(meta, f, indent=1)


def load(path, arrays=True):
    """The run stored at path (.json), its arrays as numpy arrays; arrays=False leaves the placeholders (config and
    metrics only, fast). A run written before the .npz (all in one JSON) loads too."""
    with open(path) as f:
        meta = json.load(f)
    if not arrays:
        return meta
    if not os.path.exists(npz_path(path)):
        return join(meta, {})
    with np.load(npz_path(path), allow_pickle=False) as z:
        return join(meta, {k: z[k] for k in z.files})


def paths(runs_dir, corpus="*"):
    """The stored runs' JSON paths in runs_dir (not its members/), sorted."""
    return sorted(glob.glob(os.path.join(runs_dir, f"*__{corpus}.json")))


def load_all(runs_dir, corpus="*", arrays=True):
    return [load(p, arrays) for p in paths(runs_dir, corpus)]


def as_json(run):
    """The run with its arrays as lists, as json.load gives a run stored all in JSON."""
    if isinstance(run, dict):
        return {k: as_json(v) for k, v in run.items()}
    if isinstance(run, np.ndarray):
        return run.tolist()
    return run
