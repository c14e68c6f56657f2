"""The served path's held-out figures (training/results/served, from `rtser evaluate`) against the Python evaluation
of the same fold models: the table and the service must not drift apart again (issue 18 item 1)."""
import glob
import json
import os
import unittest

from training import runs, served

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(os.path.dirname(HERE), "results")
MODELS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "models")

# Noise: a recording whose two best classes are within float32 rounding may flip; a few such in a thousand move UAR
# by a fraction of a point. Beyond these the paths differ in what they compute.
MIN_AGREEMENT = 0.97

# Shipped models whose fold models were not trained yet, with the reason (docs/accuracy.md says so too).
NOT_MEASURED = {}
MAX_UAR_GAP = 0.01


def shipped_configs():
    """(config, corpus) of every shipped model; a routed model is measured as <clean config>_routed."""
    out = []
    for p in sorted(glob.glob(os.path.join(MODELS, "*.json"))):
        with open(p) as f:
            card = json.load(f)
        name = card["routing"].get("config", card["config"]["name"] + "_routed") if card.get("routing") else card["config"]["name"]
        out.append((name, card["corpus"], card["id"]))
    return out


class ServedPathTests(unittest.TestCase):
    def setUp(self):
        self.served = served.load_all(os.path.join(RESULTS, "served"))

    def test_every_shipped_model_has_served_figures_for_every_condition(self):
        for config, corpus, mid in shipped_configs():
            with self.subTest(model=mid):
                if (config, corpus) in NOT_MEASURED:
                    self.assertNotIn((config, corpus), self.served, f"{mid} is measured now: drop it from NOT_MEASURED")
                    continue
                self.assertTrue((config, corpus) in self.served, f"{mid}: no served evaluation of {config}")
                conds = self.served[(config, corpus)]["conditions"]
                missing = [c for c in served.CONDITIONS if c not in conds]
                self.assertFalse(missing, f"{mid}: no served figures for {missing}")

    def test_served_clean_figures_agree_with_the_python_evaluation(self):
        self.assertTrue(self.served, "no served evaluations tracked")
        for (config, corpus), s in self.served.items():
            with self.subTest(config=config, corpus=corpus):
                run = runs.load(os.path.join(RESULTS, "runs", f"{config}__{corpus}.json"))
                agree, gap = served.agreement(s, run)
                self.assertGreaterEqual(agree, MIN_AGREEMENT, f"{config}/{corpus}: only {agree:.3f} of recordings agree")
                self.assertLessEqual(abs(gap), MAX_UAR_GAP, f"{config}/{corpus}: served UAR differs by {gap:+.4f}")

    def test_agreement_fails_when_the_served_labels_differ(self):
        (config, corpus), s = next(iter(self.served.items()))
        run = runs.load(os.path.join(RESULTS, "runs", f"{config}__{corpus}.json"))
        shifted = json.loads(json.dumps(s))
        preds = shifted["conditions"]["clean"]["predictions"]
        shifted["conditions"]["clean"]["predictions"] = [(p + 1) % len(run["labels"]) for p in preds]
        self.assertLess(served.agreement(shifted, run)[0], 0.5)


if __name__ == "__main__":
    unittest.main()
