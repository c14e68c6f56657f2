"""The model cards in models/ spell the keys they define in camelCase, as the service and /api/models do."""
import glob
import json
import os
import unittest

MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")

# Copied verbatim from the training config or the training run (export.py), so they keep the config's spelling.
VERBATIM = {"config", "architecture", "augmentation", "train", "hyperparameters", "frameSelection"}


def snake_keys(node, path=""):
    """Every key under node with an underscore, as a path; a card section in VERBATIM is not entered."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}.{k}" if path else k
            if "_" in k:
                found.append(here)
            if not (path == "" and k in VERBATIM):
                found += snake_keys(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += snake_keys(v, f"{path}[{i}]")
    return found


def load_cards():
    cards = {}
    for path in sorted(glob.glob(os.path.join(MODELS, "*.json"))):
        with open(path) as f:
            cards[os.path.basename(path)] = json.load(f)
    return cards


class ModelCardKeyTests(unittest.TestCase):
    def test_the_check_finds_snake_case_keys_outside_the_copied_sections_only(self):
        card = {"evaluation": {"uarMean": 0.5, "per_class": {}}, "config": {"feature_set": "all"},
                "inputs": [{"name": "ms_stats", "dtype_x": 1}]}
        self.assertEqual(snake_keys(card), ["evaluation.per_class", "inputs[0].dtype_x"])

    def test_every_committed_card_defines_its_keys_in_camel_case(self):
        cards = sorted(glob.glob(os.path.join(MODELS, "*.json")))
        self.assertTrue(cards, "no model cards in " + MODELS)
        for path in cards:
            with open(path) as f:
                card = json.load(f)
            with self.subTest(card=os.path.basename(path)):
                self.assertEqual(snake_keys(card), [])


class ModelCardLanguageTests(unittest.TestCase):
    def test_every_card_states_the_language_of_its_corpus(self):
        from training.export import LANG
        for name, card in load_cards().items():
            with self.subTest(card=name):
                self.assertEqual(card["language"], LANG[card["corpus"]])

    def test_each_language_has_one_recommended_model_that_needs_no_speaker_profile(self):
        recommended = {}
        for name, card in load_cards().items():
            block = card.get("recommended")
            if block:
                self.assertEqual(block["for"], card["language"], name)
                self.assertNotIn("speakerAdaptation", card, name)
                self.assertTrue(block["why"].strip(), name)
                self.assertNotIn(block["for"], recommended, name)
                recommended[block["for"]] = card["id"]
        self.assertEqual(recommended, {"de": "cnn-rnn-emodb", "en": "mlr-ravdess"})

    def test_a_re_export_keeps_the_recommendation_of_the_card_it_replaces(self):
        import tempfile
        from training.export import kept_recommendation
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.json")
            self.assertEqual(kept_recommendation(path), {})
            with open(path, "w") as f:
                json.dump({"id": "m", "recommended": {"for": "en", "why": "best"}}, f)
            self.assertEqual(kept_recommendation(path), {"recommended": {"for": "en", "why": "best"}})


if __name__ == "__main__":
    unittest.main()
