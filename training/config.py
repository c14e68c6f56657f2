"""Experiment configs (training/configs/<name>.json) and their `base` key.

A variant names the config it starts from and states only what it changes:

    {"base": "cnn_rnn_spk_noval_sp", "name": "cnn_rnn_spk_noval_sp_gated", "speaker_norm": {"compensate": {"gate": 0.5}}}

resolves to the base (itself resolved first) with the variant merged in: objects merge key by key at every depth,
anything else (numbers, strings, lists) replaces the base's value. A variant cannot remove a key, so it names a base
that lacks it. A base is another config's file name without `.json`, looked up beside the variant; a chain that comes
back to a config already on it is refused.
"""
import copy
import json
import os

CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


def merge(base, over):
    """A copy of base with over merged in: dicts key by key at every depth, other values replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def path_of(name, config_dir=CONFIG_DIR):
    return os.path.join(config_dir, f"{name}.json")


def load(path, _chain=()):
    """The config in the file at path with its `base` chain resolved (the result has no `base` key)."""
    path = os.path.abspath(path)
    if path in _chain:
        names = [os.path.splitext(os.path.basename(p))[0] for p in _chain + (path,)]
        raise ValueError("config base cycle: " + " -> ".join(names))
    with open(path) as f:
        cfg = json.load(f)
    base = cfg.pop("base", None)
    if base is None:
        return cfg
    base_path = path_of(base, os.path.dirname(path))
    if not os.path.exists(base_path):
        raise ValueError(f"{os.path.basename(path)}: base config {base!r} not found ({base_path})")
    return merge(load(base_path, _chain + (path,)), cfg)


def by_name(name, config_dir=CONFIG_DIR):
    """The resolved config training/configs/<name>.json."""
    return load(path_of(name, config_dir))


def all_configs(config_dir=CONFIG_DIR):
    """{name: resolved config} for every file in config_dir, in file-name order."""
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(config_dir) if f.endswith(".json"))
    return {n: by_name(n, config_dir) for n in names}
