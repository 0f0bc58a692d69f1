import shutil

import pytest

from helpers import GLOSSARY, SAMPLE, SAMPLE_SEGFILE
from leshan_pub.document import ReviewState
from leshan_pub.errors import InputError
from leshan_pub.glossary import load_glossary
from leshan_pub.pipeline import segment_source, translate_document
from leshan_pub.formats.segfile import read_segment_file, segment_file_for, write_segment_file

ARTICLE = "测试标题\n\n第一句。第二句。\n\n第三句。\n"


def never_load():
    raise AssertionError("the engine must not be loaded when nothing needs translating")


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "demo.zh.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def approve_all(path):
    segfile = segment_file_for(path)
    doc = read_segment_file(segfile)
    for s in doc.segments:
        s.target, s.state = f"EN {s.source}", ReviewState.APPROVED
    write_segment_file(segfile, doc)
    return doc


def test_segment_writes_the_segment_file_beside_the_source(article):
    doc, report = segment_source(article, None)
    assert report.segment_file == article.with_name("demo.zh-en.xlf")
    assert [s.source for s in read_segment_file(report.segment_file).segments] == [s.source for s in doc.segments]
    assert report.new == len(doc.segments) == 4


def test_resegmenting_keeps_approved_work_and_reports_what_changed(article):
    segment_source(article, None)
    approve_all(article)
    article.write_text(ARTICLE.replace("第二句。", "第二句改了。"), encoding="utf-8")
    doc, report = segment_source(article, None)
    states = {s.source: s.state for s in doc.segments}
    assert states["第一句。"] is ReviewState.APPROVED and states["第三句。"] is ReviewState.APPROVED
    assert states["第二句改了。"] is ReviewState.NEW
    assert report.kept == 3 and report.new == 1
    assert [s.source for s in report.dropped] == ["第二句。"]
    assert report.backup is not None and "第二句。" in report.backup.read_text(encoding="utf-8")


def test_repeated_sentence_reuses_the_approved_english(article):
    segment_source(article, None)
    approve_all(article)
    article.write_text(ARTICLE + "\n第三句。\n", encoding="utf-8")
    doc, report = segment_source(article, None)
    repeat = doc.segments[-1]
    assert repeat.target == "EN 第三句。" and "reused" in repeat.notes[0] and report.reused == 1


def test_translate_keeps_approved_segments_without_loading_a_model(tmp_path):
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    shutil.copy(SAMPLE_SEGFILE, tmp_path / SAMPLE_SEGFILE.name)
    doc, _ = segment_source(tmp_path / SAMPLE.name, load_glossary(GLOSSARY))
    before = [(s.id, s.target) for s in doc.segments]
    report = translate_document(doc, load_glossary(GLOSSARY), never_load)
    assert report.translated == 0 and report.kept == len(doc.segments)
    assert [(s.id, s.target) for s in doc.segments] == before


def test_an_article_with_no_text_is_refused(tmp_path):
    path = tmp_path / "blank.zh.txt"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError):
        segment_source(path, None)
    assert not segment_file_for(path).exists()


def test_translate_reports_terms_the_model_cannot_spell(tmp_path, tiny_marian_dir):
    from leshan_pub.engines import EngineOptions
    from leshan_pub.glossary import Glossary, Term
    from leshan_pub.pipeline import engine_loader

    article = tmp_path / "t.zh.txt"
    article.write_text("标题\n\n多晶硅和电堆。\n", encoding="utf-8")
    glossary = Glossary([Term("多晶硅", "polysilicon"), Term("电堆", "Ωstack")])
    doc, _ = segment_source(article, glossary)
    load = engine_loader("transformers", EngineOptions(model=str(tiny_marian_dir), num_beams=2, progress=False))
    report = translate_document(doc, glossary, load)
    assert [source for source, _ in report.unspellable] == ["电堆"]
    assert "Ω" in report.unspellable[0][1]
    segment = next(s for s in doc.segments if "电堆" in s.source)
    assert "polysilicon" in segment.target.lower()
    assert any("电堆" in note for note in segment.notes)


def test_glossary_change_retranslates_only_affected_machine_segments_and_lists_broken_approved_ones(
    tmp_path, tiny_marian_dir
):
    from leshan_pub.engines import EngineOptions
    from leshan_pub.glossary import Glossary, Term
    from leshan_pub.pipeline import engine_loader, translate_file

    article = tmp_path / "t.zh.txt"
    article.write_text("标题\n\n多晶硅扩产。电堆下线。\n\n电堆项目。\n", encoding="utf-8")
    old = Glossary([Term("多晶硅", "polysilicon"), Term("电堆", "cell stack")])
    new = Glossary([Term("多晶硅", "polysilicon"), Term("电堆", "stack module")])
    load = engine_loader("transformers", EngineOptions(model=str(tiny_marian_dir), num_beams=1, progress=False))
    doc, _ = segment_source(article, old)
    translate_document(doc, old, load)
    write_segment_file(segment_file_for(article), doc)
    ids = {s.source: s.id for s in doc.segments}
    approve = read_segment_file(segment_file_for(article))
    for s in approve.segments:
        if s.source == "电堆项目。":
            s.state = ReviewState.APPROVED
    write_segment_file(segment_file_for(article), approve)
    before = {s.id: s.target for s in approve.segments}

    doc, report = translate_file(article, new, load)
    after = {s.id: s for s in doc.segments}
    assert report.glossary_changed == [ids["电堆下线。"]]
    assert "stack module" in after[ids["电堆下线。"]].target.lower()
    assert after[ids["多晶硅扩产。"]].target == before[ids["多晶硅扩产。"]]
    assert [i for i, _ in report.broken_human] == [ids["电堆项目。"]]
    assert after[ids["电堆项目。"]].target == before[ids["电堆项目。"]]
    assert after[ids["电堆项目。"]].state is ReviewState.APPROVED

    doc, report = translate_file(article, new, load, force=True)
    forced = {s.id: s for s in doc.segments}[ids["电堆项目。"]]
    assert forced.state is ReviewState.MACHINE and "stack module" in forced.target.lower()


def test_final_publish_refuses_an_approved_document_with_a_wrong_figure(tmp_path):
    from leshan_pub.errors import PublishError
    from leshan_pub.pipeline import publish_file
    from leshan_pub.publish import PublishOptions

    article = tmp_path / "f.zh.txt"
    article.write_text("标题\n\n总投资36.3亿元。\n", encoding="utf-8")
    segment_source(article, None)
    doc = read_segment_file(segment_file_for(article))
    for s in doc.segments:
        s.state = ReviewState.APPROVED
        s.target = "Title" if s.source == "标题" else "Total investment was 363 million yuan."
    write_segment_file(segment_file_for(article), doc)
    with pytest.raises(PublishError, match=r"QA finds 1 error.*\[number\]"):
        publish_file(article, None, tmp_path / "out", ("docx",), PublishOptions(final=True))
    assert not (tmp_path / "out").exists()


def test_final_publish_of_the_sample_passes(tmp_path):
    from leshan_pub.pipeline import publish_file
    from leshan_pub.publish import PublishOptions

    written = publish_file(SAMPLE_SEGFILE, load_glossary(GLOSSARY), tmp_path, ("docx",), PublishOptions(final=True))
    assert [p.name for p in written] == ["leshan-2024.docx"]


def test_segment_counts_partition_the_segments_when_the_memory_supplies_sentences(tmp_path, article):
    """'4 kept, 0 reused, -4 new': memory fills of kept segments were taken off the new ones."""
    from leshan_pub.memory import MemorySettings, record_segments

    memory = MemorySettings(tmp_path / "tm.tmx")
    segment_source(article, None)
    record_segments(memory, approve_all(article).segments, "demo")
    again = tmp_path / "again"
    again.mkdir()
    copy = again / "demo.zh.txt"
    copy.write_text(ARTICLE, encoding="utf-8")
    segment_source(copy, None)  # the segment file, no English yet: every segment kept at the next run

    _, kept = segment_source(copy, None, memory=memory)
    other = tmp_path / "other.zh.txt"
    other.write_text(ARTICLE + "\n第四句从未译过。\n", encoding="utf-8")
    _, fresh = segment_source(other, None, memory=memory)

    assert (kept.kept, kept.reused, kept.remembered, kept.new) == (4, 0, 0, 0) and kept.memory.exact == 4
    assert (fresh.kept, fresh.reused, fresh.remembered, fresh.new) == (0, 0, 4, 1)
    for report in (kept, fresh):
        assert report.kept + report.reused + report.remembered + report.new == report.total
