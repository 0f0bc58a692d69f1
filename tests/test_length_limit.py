"""An English longer than the length limit the engine derives from its source: decoded again with more
room, and where even that is not enough, noted on the segment and flagged by `check` (cut-short).

A user's report: with `--batch-size 1` both engines cut English mid-word ("…in its pursuit of high-",
"…spawning tomor"), and `check` said nothing. Each batch derives its limit from its longest source
(about 1.5 English pieces per Chinese piece); a model whose English takes more pieces than that, on
a batch of one short source, ran out of room.
"""

from __future__ import annotations

import pytest
from placement import placement_cases

from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.engines import EngineOptions, load_engine
from leshan_pub.quality.cut import cut_notes, english_cut_note, source_cut_note
from leshan_pub.quality.qa import CUT_SHORT, check_document

# On the memorised proxy, at batch size 1, the derived limit cut these (12 of its 63 sentences).
CUT_BEFORE = {
    "五通桥区大力发展氢能。": "Five Bridges District is putting great effort in",
    "成都的研究基地养育了两百多只大熊猫。": "The research base in Chengdu has raised more than two hundred big bear cats",
    "川剧变脸被列入非物质文化遗产名录。": "Chuan drama mask switching is on the list of non-material culture legacy",
}


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_a_batch_of_one_short_source_gets_its_english_whole(memorised_model, engine_name, tmp_path, monkeypatch):
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    engine = load_engine(engine_name, EngineOptions(
        model=str(memorised_model), num_beams=4, batch_size=1, progress=False, device="cpu",
    ))
    cases = placement_cases()
    results = engine.translate([c.source for c in cases], [[] for _ in cases])
    for source, cut in CUT_BEFORE.items():
        text = results[[c.source for c in cases].index(source)].text
        assert text.endswith(".") and len(text) > len(cut), text
    # None of the 63 ran out of room the second time, so none carries the note.
    assert [r.text for r in results if cut_notes(r.notes)] == []


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_an_english_that_never_ends_is_noted_as_cut_at_the_larger_limit(tiny_marian_dir, engine_name, tmp_path,
                                                                          monkeypatch):
    """Random weights never write the end token: every draft runs to the limit twice, and says so."""
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    engine = load_engine(engine_name, EngineOptions(
        model=str(tiny_marian_dir), num_beams=2, batch_size=2, progress=False, device="cpu",
    ))
    sources = ["乐山大佛很有名。", "峨眉山在乐山。"]
    results = engine.translate(sources, [[], []])
    # The limit derived from the batch's longest source (1.5 pieces per piece and 10), then twice that.
    longest = max(len(ids) for ids in engine.tokenizer(sources)["input_ids"])
    larger = min(2 * (int(1.5 * longest) + 10), engine.target_limit)
    assert [cut_notes(r.notes) for r in results] == [[english_cut_note(larger)]] * 2


def test_an_explicit_limit_is_kept_and_the_cut_noted(tiny_marian_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    engine = load_engine("transformers", EngineOptions(
        model=str(tiny_marian_dir), num_beams=2, max_new_tokens=9, progress=False, device="cpu",
    ))
    (result,) = engine.translate(["乐山大佛很有名。"], [[]])
    assert cut_notes(result.notes) == [english_cut_note(9)]


def _document(state: ReviewState, notes: list[str]) -> Document:
    segment = Segment("s1", 0, Role.PARAGRAPH, "五通桥区大力发展氢能。", "Wutongqiao District is putting great effort into hy",
                      state, notes)
    return Document("d", [segment], Provenance("0", "0"))


@pytest.mark.parametrize("note", [english_cut_note(19), source_cut_note(512)])
def test_check_flags_a_machine_english_the_engine_cut(note):
    findings = check_document(_document(ReviewState.MACHINE, ["reused", note]), None)
    cut = [f for f in findings if f.check == CUT_SHORT]
    assert len(cut) == 1 and note in cut[0].message and "effort into hy" in cut[0].message
    # Once a translator has edited or approved the English, the note is history, not a finding.
    approved = check_document(_document(ReviewState.APPROVED, [note]), None)
    assert [f for f in approved if f.check == CUT_SHORT] == []
