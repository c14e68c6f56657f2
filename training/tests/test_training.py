"""Unit tests for training/ (stdlib unittest):  /usr/bin/python3 -m unittest discover -s training/tests -t ."""
import os
import tempfile
import unittest

import numpy as np

from training import baselines, data, folds, metrics, stats
from training.make_synthetic import make

HERE = os.path.dirname(os.path.abspath(__file__))


def experiment_config(name):
    from training import experiment
    return experiment.load_config(os.path.join(HERE, "..", "configs", name + ".json"))


class ConfigTests(unittest.TestCase):
    def write(self, d, name, cfg):
        import json
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump(cfg, f)

    def test_a_variant_states_only_what_it_changes_and_the_rest_comes_from_its_base_chain(self):
        from training import config
        with tempfile.TemporaryDirectory() as d:
            self.write(d, "a", {"name": "a", "seed": 1, "train": {"epochs": 20, "lr": 0.003, "aug": {"noise": 0.1}},
                                "perturbed": ["sp0.9", "sp1.1"]})
            self.write(d, "b", {"base": "a", "name": "b", "train": {"aug": {"mixup": 0.2}}, "perturbed": ["sp0.9"]})
            self.write(d, "c", {"base": "b", "name": "c", "train": {"epochs": 30}})
            self.assertEqual(config.by_name("c", d), {
                "name": "c", "seed": 1, "train": {"epochs": 30, "lr": 0.003, "aug": {"noise": 0.1, "mixup": 0.2}},
                "perturbed": ["sp0.9"]})
            self.assertEqual(config.by_name("a", d)["train"]["aug"], {"noise": 0.1})  # the base is not changed

    def test_a_base_cycle_or_a_missing_base_is_refused(self):
        from training import config
        with tempfile.TemporaryDirectory() as d:
            self.write(d, "a", {"base": "b", "name": "a"})
            self.write(d, "b", {"base": "a", "name": "b"})
            self.write(d, "self", {"base": "self", "name": "self"})
            self.write(d, "orphan", {"base": "gone", "name": "orphan"})
            for name in ("a", "self", "orphan"):
                with self.assertRaises(ValueError):
                    config.by_name(name, d)

    def test_every_config_resolves_and_the_exported_speaker_recipe_keeps_its_settings(self):
        from training import config
        cfgs = config.all_configs()
        self.assertEqual(len(cfgs), len(os.listdir(config.CONFIG_DIR)))
        for name, c in cfgs.items():
            self.assertEqual(c["name"], name)
            self.assertNotIn("base", c)
        c = cfgs["cnn_rnn_spk_noval_sp_gated"]  # states only its changes over cnn_rnn_spk_noval_sp
        self.assertEqual((c["kind"], c["model"]["arch"], c["seeds"], c["train"]["epochs"], c["train"]["validation"]),
                         ("torch", "cnn_rnn", [1, 2, 3], 20, False))
        self.assertEqual((c["speaker_norm"]["compensate"], c["speaker_norm"]["curve"], c["perturbed"], c["prosody"]),
                         ({"gate": 0.5}, [5, 10, 20, 60, "all"], ["sp0.9", "sp1.1"], True))
        self.assertEqual((c["export"], c["service_profile"]), ("cnn-rnn-spk-{corpus}", 60))


class RunStoreTests(unittest.TestCase):
    def run_record(self):
        rng = np.random.default_rng(0)
        P = rng.dirichlet(np.ones(4), size=6).round(6)
        curve = np.vstack([P, np.full((2, 4), np.nan)])  # two unscored rows (a corpus's perturbed copies)
        return {"name": "x", "corpus": "emodb", "config": {"kind": "torch", "seed": 1}, "aggregate": {"uar_mean": 0.5},
                "predictions": [0, 3, -1, 2, 1, 1], "probabilities": P.tolist(),
                "enrol_curve": {"20": {"uar_mean": 0.6, "probabilities": curve.tolist()}}}

    def test_a_run_splits_into_json_and_npz_and_loads_back_to_exactly_the_same_numbers(self):
        import json
        from training import runs
        r = self.run_record()
        with tempfile.TemporaryDirectory() as d:
            runs.save(r, os.path.join(d, "x__emodb.json"))
            with open(os.path.join(d, "x__emodb.json")) as f:
                meta = json.load(f)
            self.assertEqual((meta["probabilities"], meta["enrol_curve"]["20"]["probabilities"]),
                             ("npz:probabilities", "npz:enrol_curve.20.probabilities"))
            back = runs.load(os.path.join(d, "x__emodb.json"))
            self.assertEqual(back["predictions"].tolist(), [0, 3, -1, 2, 1, 1])
            self.assertEqual(back["probabilities"].dtype, np.float64)
            self.assertEqual(json.dumps(runs.as_json(back)), json.dumps(r))  # every float bit for bit, NaN rows too
            self.assertEqual(runs.load(os.path.join(d, "x__emodb.json"), arrays=False), meta)

    def test_probabilities_float32_would_change_are_refused(self):
        from training import runs
        r = self.run_record()
        r["probabilities"][0][0] = 0.1234567891
        with tempfile.TemporaryDirectory() as d, self.assertRaises(ValueError):
            runs.save(r, os.path.join(d, "x__emodb.json"))

    def test_a_run_stored_all_in_json_loads_with_the_same_types(self):
        import json
        from training import runs
        r = self.run_record()
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "x__emodb.json"), "w") as f:
                json.dump(r, f)
            back = runs.load(os.path.join(d, "x__emodb.json"))
            self.assertEqual((back["predictions"].dtype, back["enrol_curve"]["20"]["probabilities"].shape),
                             (np.int64, (8, 4)))
            self.assertEqual(json.dumps(runs.as_json(back)), json.dumps(r))

    def test_every_stored_run_was_made_with_what_its_config_file_resolves_to(self):
        from training import config, runs
        from training.experiment import COSMETIC_KEYS
        from training.run_all import corpus_config
        strip = lambda c: {k: v for k, v in c.items() if k not in COSMETIC_KEYS + ("corpora",)}
        stored = runs.paths(os.path.join(HERE, "..", "results", "runs"))
        self.assertGreater(len(stored), 100)
        for p in stored:
            r = runs.load(p)
            self.assertEqual(strip(r["config"]), strip(corpus_config(config.by_name(r["name"]), r["corpus"])), p)
            self.assertEqual(len(r["predictions"]), r["n_files"], p)
            if "probabilities" in r:
                self.assertEqual(r["probabilities"].shape[1], len(r["labels"]), p)


class FoldTests(unittest.TestCase):
    def test_loso_and_groups_are_speaker_disjoint(self):
        for n_spk, expect in ((10, 10), (18, 6)):
            spk = np.array([f"{i % n_spk + 1:02d}" for i in range(n_spk * 5)])
            fs = folds.make_folds(spk)
            self.assertEqual(len(fs), expect)
            tested = []
            for f in fs:
                te, va, tr = (set(spk[f[k]]) for k in ("test", "val", "train"))
                self.assertFalse(te & tr or te & va or va & tr)
                self.assertEqual(len(te | va | tr), n_spk)
                tested += sorted(te)
            self.assertEqual(sorted(tested), sorted(set(spk)))  # every speaker tested exactly once

    def test_ravdess_groups_of_three(self):
        spk = np.array([f"{i:02d}" for i in range(1, 19)])
        fs = folds.make_folds(spk)
        self.assertEqual([f["test_speakers"] for f in fs][0], ["01", "02", "03"])
        self.assertTrue(all(len(f["test_speakers"]) == 3 and len(f["val_speakers"]) == 2 for f in fs))


class PerturbedCopyTests(unittest.TestCase):
    def test_a_speakers_perturbed_copies_never_train_a_fold_that_tests_that_speaker(self):
        from training.experiment import add_copies
        tmp = tempfile.mkdtemp()
        make(os.path.join(tmp, "emodb"), "emodb", speakers=10, per_class=1, fixed_seconds=1.0)
        make(os.path.join(tmp, "emodb_sp0.9"), "emodb", speakers=10, per_class=1, fixed_seconds=1.0)
        c = data.load(os.path.join(tmp, "emodb"))
        merged = data.merge(c, data.load_perturbed(os.path.join(tmp, "emodb"), ["sp0.9"]))
        self.assertEqual(merged.n, 2 * c.n)
        self.assertEqual(set(merged.speakers[c.n:]), {f"emodb_sp0.9:{s}" for s in set(c.speakers)})
        for with_val in (False, True):
            fs = folds.make_folds(c.speakers)
            add_copies(fs, merged.speakers, c.n, with_val)
            for f in fs:
                copies = f["train"][f["train"] >= c.n]
                origin = set(data.unprefixed(merged.speakers[copies]))
                self.assertFalse(origin & set(f["test_speakers"]))
                self.assertEqual(bool(origin & set(f["val_speakers"])), with_val)
                self.assertEqual(len(copies), len(f["train"]) - len(copies) + (len(f["val"]) if with_val else 0))


    def test_a_baselines_hyperparameter_search_groups_each_copy_with_its_real_speaker(self):
        # a copy grouped as a speaker of its own lands in another inner fold than its original, which then
        # trains on a copy of what it is scored on: the search picks the least regularisation
        from training import experiment
        with tempfile.TemporaryDirectory() as d:
            root = make(os.path.join(d, "emodb"), "emodb", speakers=4, per_class=1, fixed_seconds=1.0)
            make(f"{root}_aug1", "emodb", speakers=4, per_class=1, fixed_seconds=1.0)
            base = data.load(root)
            fo = folds.make_folds(base.speakers)
            corpus = experiment.with_copies(base, root, {"perturbed": ["aug1"], "kind": "mlr"}, fo)
            seen = {}

            def capture(kind, cfg, X, y, groups, n_classes, seed):
                seen["groups"] = list(groups)
                raise StopIteration

            original, baselines.fit_fold = baselines.fit_fold, capture
            try:
                with self.assertRaises(StopIteration):
                    experiment.train_baseline_fold({"kind": "mlr"}, corpus, fo[0], base.n, 1, np.zeros((corpus.n, 2)),
                                                   None, None, {})
            finally:
                baselines.fit_fold = original
            tr = np.concatenate([fo[0]["train"], fo[0]["val"]])
            self.assertGreater((tr >= base.n).sum(), 0)  # copies do train
            self.assertEqual(sorted(set(seen["groups"])), sorted(set(fo[0]["train_speakers"]) | set(fo[0]["val_speakers"])))

    def test_the_channel_detector_gives_the_probabilities_of_a_multinomial_logistic_regression(self):
        from sklearn.linear_model import LogisticRegression
        from training.route import channel_probabilities, fit_detector
        rng = np.random.default_rng(0)
        blocks = [rng.normal(3 * k, 1.0, size=(40, 5)) * (1 + k) for k in range(3)]
        det = fit_detector(blocks[0], blocks[1:], C=0.5)
        X = np.concatenate(blocks)
        y = np.repeat(np.arange(3), 40)
        mu, sd = X.mean(0), X.std(0)
        ref = LogisticRegression(C=0.5, max_iter=5000, class_weight="balanced", random_state=1).fit((X - mu) / sd, y)
        probe = rng.normal(3, 4, size=(10, 5))
        np.testing.assert_allclose(channel_probabilities(det, probe), ref.predict_proba((probe - mu) / sd), atol=1e-6)
        two = fit_detector(blocks[0], blocks[1:2], C=0.5)  # binary: [P(clean), P(degraded)]
        ref2 = LogisticRegression(C=0.5, max_iter=5000, class_weight="balanced", random_state=1)
        X2 = np.concatenate(blocks[:2])
        ref2.fit((X2 - X2.mean(0)) / X2.std(0), np.repeat([0, 1], 40))
        np.testing.assert_allclose(channel_probabilities(two, probe), ref2.predict_proba((probe - X2.mean(0)) / X2.std(0)),
                                   atol=1e-6)

    def test_test_time_augmentation_scores_each_copy_against_the_copies_of_the_same_enrolment_recordings(self):
        from training import experiment
        with tempfile.TemporaryDirectory() as d:
            root = make(os.path.join(d, "emodb"), "emodb", speakers=2, per_class=2)
            for tag in ("sp0.9", "sp1.1"):
                make(f"{root}_{tag}", "emodb", speakers=2, per_class=2)
            cfg = {"perturbed": ["sp0.9", "sp1.1"], "train": {"validation": False},
                   "speaker_norm": {"enrol": 3, "curve": [3, "all"]}}
            base = data.load(root)
            fo = folds.make_folds(base.speakers)
            corpus = experiment.with_copies(base, root, cfg, fo)
            n = base.n
            # statistics that name the file: the original i holds i, its copy under tag t holds i + 1000 (t + 1)
            S = np.zeros((corpus.n, 1))
            for j, p in enumerate(corpus.paths):
                tag, _, path = p.rpartition(":")
                S[j] = base.paths.index(path) + {"": 0, "emodb_sp0.9": 1000, "emodb_sp1.1": 2000}[tag]
            te = fo[0]["test"]
            # the score says which file was scored and the mean of its profile
            score = lambda idx, offsets: np.stack([S[idx, 0], offsets[:, 0]], 1)
            curve = {}
            experiment.tta_curve(curve, cfg, S, corpus, te, score)
            self.assertEqual(sorted(curve), ["3", "all"])
            got = curve["all"][te]
            np.testing.assert_allclose(got[:, 0], te + 1000)  # (i + (i + 1000) + (i + 2000)) / 3
            own = [S[:n][(base.speakers == base.speakers[i]) & (np.arange(n) != i), 0].mean()
                   for i in te]
            np.testing.assert_allclose(got[:, 1], np.array(own) + 1000)  # profiles of the same recordings' copies
            self.assertTrue(np.isnan(curve["all"][n:]).all())

    def test_an_epoch_draws_every_recording_once_as_one_of_its_versions(self):
        from training.train import epoch_order, versions
        tmp = tempfile.mkdtemp()
        for d in ("emodb", "emodb_sp0.9", "emodb_sp1.1"):
            make(os.path.join(tmp, d), "emodb", speakers=2, per_class=2, fixed_seconds=1.0)
        c = data.load(os.path.join(tmp, "emodb"))
        merged = data.merge(c, data.load_perturbed(os.path.join(tmp, "emodb"), ["sp0.9", "sp1.1"]))
        rng = np.random.default_rng(0)
        drawn = set()
        for _ in range(20):
            order = epoch_order(versions(merged, np.arange(merged.n), True), rng)
            self.assertEqual(sorted(data.unprefixed([merged.paths[i] for i in order])), sorted(c.paths))
            drawn.update(order.tolist())
        self.assertEqual(drawn, set(range(merged.n)))  # over epochs every version is used
        plain = np.arange(c.n)
        self.assertEqual(epoch_order(versions(c, plain, False), np.random.default_rng(3)).tolist(),
                         np.random.default_rng(3).permutation(plain).tolist())


class MetricTests(unittest.TestCase):
    def test_uar_and_confusion(self):
        r = metrics.evaluate([0, 0, 0, 1], [0, 0, 1, 1], ["a", "b"])
        self.assertEqual(r["confusion"], [[2, 1], [0, 1]])
        self.assertAlmostEqual(r["accuracy"], 0.75)
        self.assertAlmostEqual(r["uar"], (2 / 3 + 1) / 2)
        self.assertAlmostEqual(r["per_class"]["b"]["precision"], 0.5)


class EnsembleSpreadTests(unittest.TestCase):
    def test_every_subset_is_scored_by_its_members_averaged_probabilities(self):
        from training.probes.ensemble_spread import subset_uars
        y = np.array([0, 1, 0, 1])
        right = np.array([[0.9, 0.1], [0.1, 0.9]] * 2)
        wrong = np.array([[0.2, 0.8], [0.8, 0.2]] * 2)
        class0 = np.array([[0.6, 0.4]] * 4)
        fold = [{"test": np.arange(4)}]
        got = subset_uars([right, wrong, class0], y, fold, ["a", "b"], 2)
        # right + wrong: 0.55 for the true class; right + class0 still right; wrong + class0 wrong on both
        self.assertEqual(got, {(0, 1): 1.0, (0, 2): 1.0, (1, 2): 0.0})
        self.assertEqual(subset_uars([right, wrong, class0], y, fold, ["a", "b"], 1), {(0,): 1.0, (1,): 0.0, (2,): 0.5})


class NestedSelectionTests(unittest.TestCase):
    def test_each_fold_is_scored_by_the_recipe_that_won_the_other_folds(self):
        from training.probes.nested_selection import nested
        # a is best overall (0.633) only because of fold 0; held out there, b wins the rest
        scores, picks = nested({"a": [0.9, 0.5, 0.5], "b": [0.6, 0.6, 0.6]})
        self.assertEqual(picks, ["b", "a", "a"])
        np.testing.assert_allclose(scores, [0.6, 0.5, 0.5])


class F0ProbeTests(unittest.TestCase):
    def test_an_octave_error_is_folded_back_or_left_out_and_left_alone_without_correction(self):
        from training.probes.f0_probe import f0_functionals
        frames = np.zeros((10, 5), np.float32)
        frames[:, 0], frames[:, 2] = 50.0, 1.0
        frames[4, 0] = 38.0  # one frame an octave low (the tracker took twice the period)
        frames[9, 2] = 0.0  # unvoiced: not counted
        speech = np.ones(10, bool)
        none = f0_functionals(frames, speech, "none")
        self.assertAlmostEqual(none[0], (8 * 50 + 38) / 9, places=5)
        self.assertAlmostEqual(none[7], 24 / 8, places=5)  # |50-38| twice over 8 adjacent voiced pairs
        for mode in ("fold", "folddown"):
            fixed = f0_functionals(frames, speech, mode)
            np.testing.assert_allclose(fixed[:6], [50, 0, 50, 50, 50, 0], atol=1e-9, err_msg=mode)
            self.assertAlmostEqual(fixed[7], 0.0, msg=mode)
        self.assertAlmostEqual(f0_functionals(frames, speech, "trim")[1], none[1])  # exactly an octave: kept
        frames[4, 0] = 36.0  # more than an octave low: left out
        trimmed = f0_functionals(frames, speech, "trim")
        np.testing.assert_allclose(trimmed[:6], [50, 0, 50, 50, 50, 0], atol=1e-9)
        self.assertAlmostEqual(trimmed[7], 0.0)  # frames 3 and 5 are no longer adjacent
        self.assertIsNone(f0_functionals(frames[:1], speech[:1], "none"))


class StatsAndBaselineTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        make(os.path.join(cls.tmp, "e"), "emodb", speakers=3, per_class=3, fixed_seconds=2.0)
        cls.c = data.load(os.path.join(cls.tmp, "e"))

    def test_loader_shapes(self):
        c = self.c
        self.assertEqual(c.n, 3 * 7 * 3)
        self.assertEqual(c.mfcc[0].shape[1], 13)
        self.assertEqual(c.ms[0].shape[1], c.acoustic_bands * c.modulation_bands)
        self.assertEqual(len(c.vad[0]), len(c.mfcc[0]))

    def test_stats_width_and_vad_fallback(self):
        X = stats.utterance_matrix(self.c, "all")
        self.assertEqual(X.shape[1], len(stats.names(self.c, "all")))
        m = self.c.mfcc[0]
        np.testing.assert_allclose(stats.mfcc_block(m, np.zeros(len(m), np.uint8)),
                                   stats.mfcc_block(m, np.ones(len(m), np.uint8)))

    def test_prosody_statistics_are_appended_and_subset_keeps_them(self):
        c = self.c
        X = stats.utterance_matrix(c, "all")
        Xp = stats.utterance_matrix(c, "all", prosody=True)
        self.assertEqual(Xp.shape[1], X.shape[1] + c.prosody_stats.shape[1])
        np.testing.assert_array_equal(Xp[:, X.shape[1]:], c.prosody_stats)
        self.assertEqual(len(stats.names(c, "all", True)), Xp.shape[1])
        self.assertEqual(len(c.prosody[0]), len(c.mfcc[0]))
        sub = c.subset([2, 0])
        np.testing.assert_array_equal(sub.prosody_stats, c.prosody_stats[[2, 0]])

    def test_an_export_without_prosody_loads_and_refuses_prosody_configs(self):
        import json
        import shutil
        d = os.path.join(self.tmp, "old")
        shutil.copytree(os.path.join(self.tmp, "e"), d)
        with open(os.path.join(d, "index.json")) as f:
            idx = json.load(f)
        del idx["prosody"]
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump(idx, f)
        c = data.load(d)
        self.assertFalse(c.has_prosody)
        stats.utterance_matrix(c, "all")
        with self.assertRaises(ValueError):
            stats.utterance_matrix(c, "all", prosody=True)

    def test_svm_matches_sklearn_rbf(self):
        from sklearn.svm import SVC
        rng = np.random.default_rng(0)
        X, y, Xt = rng.normal(size=(120, 10)), rng.integers(0, 3, 120), rng.normal(size=(9, 10))
        m = baselines.OvRSVM(3, C=3.0).fit(X, y)
        ref = np.stack([SVC(kernel="rbf", C=3.0, gamma=m.gamma, class_weight="balanced")
                        .fit(X, (y == k).astype(int)).decision_function(Xt) for k in range(3)], 1)
        np.testing.assert_allclose(m.scores(Xt), ref, atol=1e-8)


class TorchModelTests(unittest.TestCase):
    def test_dynamic_length_and_alignment(self):
        import torch
        from training.models import build, ms_index
        self.assertEqual(ms_index(10, 3, 40, 64).tolist(), [0, 0, 0, 0, 1, 2, 2, 2, 2, 2])
        norm = {"mfcc_mean": np.zeros(13), "mfcc_std": np.ones(13), "ms_mean": np.zeros(12), "ms_std": np.ones(12)}
        dims = {"A": 4, "M": 3, "ms_shift": 0.064, "mfcc_shift": 0.01}
        for arch in ("rnn", "cnn", "cnn_rnn"):
            m = build({"model": {"arch": arch}}, norm, 5, dims).eval()
            for T, Tm in ((8, 1), (200, 28), (317, 46)):
                p = m(torch.randn(2, T, 13), torch.randn(2, Tm, 12))
                self.assertEqual(tuple(p.shape), (2, 5))
                np.testing.assert_allclose(p.sum(1).detach().numpy(), 1.0, rtol=1e-5)

    def test_statistics_branch_twin_and_inputs(self):
        import torch
        from training.models import build, mfcc_stats
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 50, 13)).astype(np.float32)
        vad = (rng.random((2, 50)) > 0.4).astype(np.float32)
        vad[1] = 0  # < 2 speech frames: all frames
        got = mfcc_stats(torch.from_numpy(x), torch.from_numpy(vad)).numpy()
        for b in range(2):
            np.testing.assert_allclose(got[b], stats.mfcc_block(x[b], vad[b].astype(np.uint8)), rtol=1e-4, atol=1e-5)
        S = 7
        norm = {"mfcc_mean": np.zeros(13), "mfcc_std": np.ones(13), "ms_mean": np.zeros(12), "ms_std": np.ones(12),
                "stats_mean": np.zeros(65 + S), "stats_std": np.ones(65 + S)}
        dims = {"A": 4, "M": 3, "ms_shift": 0.064, "mfcc_shift": 0.01}
        m = build({"model": {"arch": "cnn_rnn", "stats_branch": {"hidden": 8}}}, norm, 5, dims).eval()
        self.assertEqual(m.input_names, ["mfcc", "ms", "vad", "ms_stats"])
        for T, Tm in ((8, 1), (200, 28)):
            p = m(torch.randn(2, T, 13), torch.randn(2, Tm, 12), torch.ones(2, T), torch.randn(2, S))
            self.assertEqual(tuple(p.shape), (2, 5))
            np.testing.assert_allclose(p.sum(1).detach().numpy(), 1.0, rtol=1e-5)
        P = 4
        norm.update({"stats_mean": np.zeros(65 + S + P), "stats_std": np.ones(65 + S + P)})
        mp = build({"prosody": True, "model": {"arch": "cnn_rnn", "stats_branch": {"hidden": 8}}}, norm, 5, dims).eval()
        self.assertEqual(mp.input_names, ["mfcc", "ms", "vad", "ms_stats", "prosody_stats"])
        p = mp(torch.randn(2, 60, 13), torch.randn(2, 8, 12), torch.ones(2, 60), torch.randn(2, S), torch.randn(2, P))
        self.assertEqual(tuple(p.shape), (2, 5))


class SpeakerAdversaryTests(unittest.TestCase):
    def test_the_reversal_layer_passes_values_and_flips_scaled_gradients(self):
        import torch
        from training.train import _ReverseGradient
        x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = _ReverseGradient.apply(x, 0.25)
        (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), [1.0, -2.0, 3.0])
        np.testing.assert_allclose(x.grad.numpy(), [-0.25, -0.5, -0.75])

    def test_the_adversary_knows_only_training_speakers_and_stays_out_of_the_model(self):
        from training import train
        with tempfile.TemporaryDirectory() as d:
            c = data.load(make(os.path.join(d, "e"), "emodb", speakers=3, per_class=1))
            cfg = experiment_config("cnn_rnn_spk_noval_sp_adv")
            tr = np.where(c.speakers != c.speakers[0])[0]
            model = train.build(cfg, dict(train.frame_norm(c, tr), **train.stats_norm(c, tr, True)), len(c.labels),
                                train.dims_of(c))
            adversary = train.speaker_adversary(cfg, c, tr, model)
            head, index = adversary.head, adversary.index
            self.assertEqual(head.out_features, 2)
            self.assertTrue((index[c.speakers == c.speakers[0]] == -1).all())  # the test speaker has no class
            self.assertEqual(sorted(set(index[tr].tolist())), [0, 1])
            self.assertFalse(any(p is q for p in head.parameters() for q in model.parameters()))
            self.assertIsNone(train.speaker_adversary(experiment_config("cnn_rnn_spk_noval_sp"), c, tr, model))


class SpeakerProfileTests(unittest.TestCase):
    def test_profiles_never_hold_the_scored_utterance_and_training_speakers_use_their_own_mean(self):
        from training.train import speaker_offsets
        speakers = np.array(["a"] * 5 + ["b"] * 4)
        X = np.arange(9 * 2, dtype=np.float32).reshape(9, 2) ** 2
        own = speaker_offsets(X, speakers, np.arange(9))
        np.testing.assert_allclose(own[0], X[:5].mean(0), rtol=1e-6)
        np.testing.assert_allclose(own[7], X[5:].mean(0), rtol=1e-6)
        # only training indices count: speaker b's mean over the two of its files in idx
        np.testing.assert_allclose(speaker_offsets(X, speakers, np.array([5, 6]))[0], X[5:7].mean(0), rtol=1e-6)
        for k, n in ((2, 2), ("all", 4)):
            off = speaker_offsets(X, speakers, np.array([0, 1, 5]), enrol=k, seed=3)
            for j, i in enumerate((0, 1, 5)):
                same = np.where(speakers == speakers[i])[0]
                others = [o for o in same if o != i]
                # the profile is the mean of n of the other recordings: a subset sum of them, never with X[i]
                found = [c for c in __import__("itertools").combinations(others, min(n, len(others)))
                         if np.allclose(X[list(c)].mean(0), off[j], rtol=1e-6)]
                self.assertTrue(found, f"utterance {i}: profile {off[j]} is not a mean of {n} others")
        np.testing.assert_array_equal(speaker_offsets(X, speakers, np.array([0]), 2, seed=3),
                                      speaker_offsets(X, speakers, np.array([0]), 2, seed=3))

    def test_sampled_training_profiles_average_other_recordings_of_the_same_speaker(self):
        from training.train import sampled_profiles
        speakers = np.array(["a"] * 6 + ["b"] * 4)
        S = np.arange(10, dtype=np.float64)[:, None] * np.array([[1.0, 100.0]])  # file i's statistics: (i, 100 i)
        same = {s: np.where(speakers == s)[0] for s in ("a", "b")}
        rng = np.random.default_rng(0)
        for _ in range(20):
            mb = np.array([0, 5, 7])
            got = sampled_profiles(mb, same, speakers, S, 3, rng)
            self.assertEqual(got.shape, (3, 2))
            for j, i in enumerate(mb):
                others = set(same[speakers[i]]) - {i}
                # a mean of 3 distinct others: between the smallest and largest such means, never the file itself
                lo, hi = np.mean(sorted(others)[:3]), np.mean(sorted(others)[-3:])
                self.assertTrue(lo - 1e-4 <= got[j, 0] <= hi + 1e-4, (i, got[j], lo, hi))
                self.assertAlmostEqual(got[j, 1], 100 * got[j, 0], places=3)
        # a speaker with fewer others than enrol: all of them
        np.testing.assert_allclose(sampled_profiles(np.array([9]), same, speakers, S, 20, rng), [[7.0, 700.0]])

    def test_compensation_recovers_the_mean_of_a_speaker_heard_in_one_emotion_only(self):
        from training import profiles
        rng = np.random.default_rng(0)
        K, D, per = 3, 4, 30
        delta = np.array([[2.0, 0, 0, 1], [0, 2, 0, -1], [-2, -2, 0, 0]])  # class offsets, mean zero over classes
        spk_means = rng.normal(0, 1, (9, D))
        X, y, speakers = [], [], []
        for s in range(9):
            for k in range(K):
                X.append(spk_means[s] + delta[k] + rng.normal(0, 0.3, (per, D)))
                y += [k] * per
                speakers += [s] * per
        X, y, speakers = np.concatenate(X), np.array(y), np.array(speakers)
        train = np.where(speakers < 8)[0]
        comp = profiles.fit(X, y, speakers, train, K)
        np.testing.assert_allclose(comp["offsets"], delta, atol=0.1)
        test = np.where(speakers == 8)[0]
        truth = spk_means[8]
        for k in range(K):  # heard in one emotion: the plain mean is that emotion's offset away, compensated is not
            rows = test[y[test] == k]
            plain = np.abs(X[rows].mean(0) - truth).max()
            self.assertGreater(plain, 1.5)
            self.assertLess(np.abs(profiles.compensated(comp, X[rows]) - truth).max(), 0.25 * plain)
        balanced = profiles.compensated(comp, X[test])
        np.testing.assert_allclose(balanced, X[test].mean(0), atol=0.1)
        # gated: a profile that reads as no one emotion stays the plain mean, one that does is compensated
        gated = profiles.with_gate(comp, 0.6)
        np.testing.assert_array_equal(profiles.compensated(gated, X[test]), X[test].mean(0))
        rows = test[y[test] == 0]
        np.testing.assert_array_equal(profiles.compensated(gated, X[rows]), profiles.compensated(comp, X[rows]))
        self.assertEqual(profiles.from_card(profiles.to_card(gated))["gate"], 0.6)
        # the card carries it in float32 and gives back the same profile
        again = profiles.compensated(profiles.from_card(profiles.to_card(comp)), X[test])
        np.testing.assert_allclose(again, balanced, atol=1e-4)

    def test_a_speaker_normalised_graph_subtracts_the_profile_and_outputs_raw_statistics(self):
        import torch
        from training.models import WithUtteranceStats, build
        S, P = 7, 4
        norm = {"mfcc_mean": np.zeros(13), "mfcc_std": np.ones(13), "ms_mean": np.zeros(12), "ms_std": np.ones(12),
                "stats_mean": np.zeros(65 + S + P), "stats_std": np.ones(65 + S + P)}
        dims = {"A": 4, "M": 3, "ms_shift": 0.064, "mfcc_shift": 0.01}
        cfg = {"prosody": True, "speaker_norm": {"enrol": 20}, "model": {"arch": "cnn_rnn", "stats_branch": {"hidden": 8}}}
        m = build(cfg, norm, 5, dims).eval()
        self.assertEqual(m.input_names[-1], "speaker_mean")
        g = WithUtteranceStats(m).eval()
        torch.manual_seed(0)
        mf, ms, vad = torch.randn(1, 60, 13), torch.randn(1, 8, 12), torch.ones(1, 60)
        st, ps = torch.randn(1, S), torch.randn(1, P)
        with torch.no_grad():
            p0, raw = g(mf, ms, vad, st, ps, torch.zeros(1, 65 + S + P))
            p_same, _ = g(mf, ms, vad, st, ps, raw)  # a profile equal to the recording: centred statistics are 0
            centred = m.logits(mf, ms, stats=torch.zeros(1, 65 + S + P))
        self.assertEqual(tuple(raw.shape), (1, 65 + S + P))
        np.testing.assert_allclose(raw[0, 65:65 + S].numpy(), st[0].numpy(), rtol=1e-6)
        np.testing.assert_allclose(p_same.numpy(), torch.softmax(centred, -1).numpy(), rtol=1e-5, atol=1e-6)
        self.assertFalse(np.allclose(p0.numpy(), p_same.numpy()))


    def test_speaker_centred_frames_use_the_profiles_mfcc_and_ms_means(self):
        import torch
        from training.models import build
        S, P = 12 * 2 + 3 * 3, 4  # ms_stats of A=4, M=3: 2AM + 3M
        for C in (13, 40):  # the default MFCCs and the 40-coefficient variant: the MS means start at 5C
            with self.subTest(mfccs=C):
                norm = {"mfcc_mean": np.zeros(C), "mfcc_std": np.ones(C), "ms_mean": np.zeros(12), "ms_std": np.ones(12),
                        "stats_mean": np.zeros(5 * C + S + P), "stats_std": np.ones(5 * C + S + P)}
                dims = {"A": 4, "M": 3, "ms_shift": 0.064, "mfcc_shift": 0.01, "n_mfcc": C}
                cfg = {"prosody": True, "speaker_norm": {"enrol": 20, "frames": True},
                       "model": {"arch": "cnn_rnn", "stats_branch": {"hidden": 8}}}
                m = build(cfg, norm, 5, dims).eval()
                torch.manual_seed(1)
                mf, ms, sm = torch.randn(2, 60, C), torch.randn(2, 8, 12), torch.randn(2, 5 * C + S + P)
                c, d = torch.randn(2, C), torch.randn(2, 12)
                shifted = sm.clone()
                shifted[:, :C] += c
                shifted[:, 5 * C:5 * C + 12] += d
                with torch.no_grad():
                    a = m.front(mf, ms, sm)
                    b = m.front(mf + c[:, None], ms + d[:, None], shifted)  # the same speaker, recorded louder: same input
                    other = m.front(mf, ms, shifted)
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
                self.assertFalse(np.allclose(a.numpy(), other.numpy(), atol=1e-3))

    def test_a_config_runs_only_on_features_of_its_mfcc_width(self):
        with tempfile.TemporaryDirectory() as d:
            c13 = data.load(make(os.path.join(d, "e13"), "emodb", speakers=2, per_class=1))
            c40 = data.load(make(os.path.join(d, "e40"), "emodb", speakers=2, per_class=1, n_mfcc=40))
            self.assertEqual((c13.mfcc_width, c40.mfcc_width), (13, 40))
            self.assertIs(data.check_mfcc_width(c13, {}), c13)
            self.assertIs(data.check_mfcc_width(c40, {"mfcc_width": 40}), c40)
            with self.assertRaisesRegex(ValueError, "40 MFCCs per frame"):
                data.check_mfcc_width(c40, {"name": "x"})
            with self.assertRaisesRegex(ValueError, "wants 40"):
                data.check_mfcc_width(c13, {"mfcc_width": 40})

    def test_the_40_mfcc_recipe_trains_and_scores_on_40_wide_features(self):
        from training import experiment
        with tempfile.TemporaryDirectory() as d:
            for tag in ("", "_sp0.9", "_sp1.1"):
                make(os.path.join(d, "emodb_m40" + tag), "emodb", speakers=3, per_class=2, fixed_seconds=2.0, n_mfcc=40,
                     seed=len(tag))
            cfg = experiment.load_config(os.path.join(HERE, "..", "configs", "cnn_rnn_spk_noval_sp_m40.json"), smoke=True)
            cfg.pop("seeds", None)
            r = experiment.run(cfg, os.path.join(d, "emodb_m40"), os.path.join(d, "runs"), log=lambda *_: None)
            self.assertEqual(r["n_files"], 3 * 2 * 7)
            self.assertEqual(np.array(r["probabilities"]).shape, (3 * 2 * 7, 7))
            self.assertTrue(np.isfinite(r["probabilities"]).all())

    def test_the_embedding_probe_reads_what_the_final_layer_reads_and_shifts_it_by_the_enrolment_mean(self):
        from training import experiment
        from training.probes import embed_probe
        from training.train import predict, speaker_offsets, train_model, utterance_stats
        with tempfile.TemporaryDirectory() as d:
            make(os.path.join(d, "emodb"), "emodb", speakers=3, per_class=2, fixed_seconds=1.0, seed=3)
            c = data.load(os.path.join(d, "emodb"))
            cfg = experiment_config("cnn_rnn_spk_noval_sp_gated")
            cfg = experiment.apply_smoke({k: v for k, v in cfg.items() if k not in ("seeds", "perturbed")})
            idx = np.arange(c.n)
            model, _, _ = train_model(cfg, c, idx, None, 1, log=lambda *_: None)
            model.eval()
            S = utterance_stats(c, True)
            off = speaker_offsets(S, c.speakers, idx)
            e = embed_probe.penultimate(model, c, idx, off)
            self.assertEqual(e.shape, (c.n, 64 + 32))
            zero = np.zeros_like(e)
            np.testing.assert_allclose(embed_probe.centred_probabilities(model, e, zero, zero, 1.0),
                                       predict(model, c, idx, offsets=off), atol=1e-6)
            shift = np.full_like(e, 0.5)  # the enrolment mean 0.5 above the reference: e moves down by a * 0.5
            np.testing.assert_allclose(embed_probe.centred_probabilities(model, e, shift, zero, 0.5),
                                       embed_probe.centred_probabilities(model, e - 0.25, zero, zero, 1.0), atol=1e-6)

    def test_prosody_frames_are_relative_to_the_speakers_f0_and_energy_and_zero_where_unvoiced(self):
        import torch
        from training import models as M
        D = 65 + 33 + M.PROSODY_STATS
        profile = torch.zeros(1, 1, D)
        profile[..., D - M.PROSODY_STATS + M.F0_MEAN] = 90.0      # the speaker's mean F0, semitones re 1 Hz
        profile[..., D - M.PROSODY_STATS + M.ENERGY_MEAN] = -30.0
        profile[..., D - M.PROSODY_STATS + M.LOWBAND_MEAN] = -3.0
        frames = torch.tensor([[[93.0, 0.9, 1.0, -20.0, -2.0],    # voiced, 3 semitones above the speaker's mean
                                [0.0, 0.2, 0.0, -50.0, -9.0]]])   # unvoiced: the extractor writes F0 = 0
        rel = M.prosody_frame_features(frames, profile)
        np.testing.assert_allclose(rel.numpy(), [[[3.0, 0.9, 1.0, 10.0, 1.0], [0.0, 0.2, 0.0, -20.0, -6.0]]])
        # training makes the frames relative once and the graph then sees a zero profile: that must be a no-op
        np.testing.assert_allclose(M.prosody_frame_features(rel, torch.zeros(1, 1, D)).numpy(), rel.numpy())

    def test_the_prosody_layout_the_graph_reads_is_the_exports(self):
        from training.train import check_prosody_layout
        with tempfile.TemporaryDirectory() as d:
            c = data.load(make(os.path.join(d, "e"), "emodb", speakers=2, per_class=1))
            check_prosody_layout(c)
            c.index["prosody"]["statisticNames"] = list(reversed(c.index["prosody"]["statisticNames"]))
            with self.assertRaises(ValueError):
                check_prosody_layout(c)


    def test_a_fully_skewed_profile_is_the_mean_of_the_speakers_other_recordings_of_that_emotion(self):
        from training.probes.profile_skew import skewed_rows
        with tempfile.TemporaryDirectory() as d:
            c = data.load(make(os.path.join(d, "e"), "emodb", speakers=2, per_class=3))
            i = 0
            sizes = []
            rows = skewed_rows(c, np.array([i]), int(c.y[5]), 1.0, np.random.default_rng(0), sizes)
            same = np.where((c.speakers == c.speakers[i]) & (c.y == c.y[5]) & (np.arange(c.n) != i))[0]
            self.assertEqual(sorted(rows[0].tolist()), same.tolist())
            self.assertEqual(sizes, [len(same)])
            half = []
            skewed_rows(c, np.array([i]), int(c.y[5]), 0.5, np.random.default_rng(0), half)
            self.assertEqual(half, [2 * len(same)])

if __name__ == "__main__":
    unittest.main()
