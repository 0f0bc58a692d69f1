"""The 100-edit round trip of scripts/measure_memory.py: no approved English is lost to a small source edit."""

import importlib.util
import sys
from collections import Counter

from helpers import ROOT


def load_measurement():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("measure_memory", ROOT / "scripts" / "measure_memory.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_hundred_source_edits_lose_no_approved_english():
    measurement = load_measurement()
    outcomes = measurement.measure(100, seed=9, threshold=75)
    results = Counter(o.result for o in outcomes)
    assert results["lost"] == 0, [o.edit for o in outcomes if o.result == "lost"]
    assert len(outcomes) == 100 and results["exact"] > 0 and results["fuzzy"] > 0
    for outcome in outcomes:  # formatting edits come back exact; edits of content as fuzzy drafts
        exact_kinds = ("full-width/half-width digits", "one added space", "quote style")
        assert (outcome.result == "exact") is (outcome.edit.kind in exact_kinds), outcome.edit


def test_the_measurement_notices_lost_work():
    measurement = load_measurement()
    outcomes = measurement.measure(12, seed=9, threshold=99.5)  # a threshold no edit of content reaches
    assert any(o.result == "lost" for o in outcomes)
