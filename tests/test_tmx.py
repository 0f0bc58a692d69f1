"""Other tools' memories are kept whole: a hand-written Trados/memoQ-like TMX read, used and written back (issue 27)."""

import shutil
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from helpers import DATA
from leshan_pub.cli import app
from leshan_pub.errors import TranslationMemoryError
from leshan_pub.formats import tmx
from leshan_pub.formats.segfile import read_segment_file
from leshan_pub.memory import MemoryEntry, read_memory, write_memory
from test_review_workflow import QUOTED, Project

runner = CliRunner()
FOREIGN = DATA / "foreign-trados.tmx"
HEADER_SAID = {"creationtool": "SDL Language Platform", "creationtoolversion": "8.1", "o-tmf": "SDL TM8 Format",
               "datatype": "xml", "segtype": "sentence", "srclang": "zh-TW"}


def units(path: Path) -> dict[str, bytes]:
    """Each <tu> with a tuid, as canonical XML."""
    root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    return {tu.get("tuid"): tmx.canonical(tu) for tu in root.iter("tu") if tu.get("tuid")}


def header(path: Path) -> bytes:
    root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    return etree.tostring(root.find("header"), method="c14n")


def foreign_units_as_merged() -> dict[str, bytes]:
    """The foreign units with what their header said put onto each, as a merge must."""
    merged = {}
    root = etree.fromstring(FOREIGN.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    extras = [c for c in root.find("header") if c.tag in ("prop", "note")]
    for tu in root.iter("tu"):
        for name, value in HEADER_SAID.items():
            if tu.get(name) is None:
                tu.set(name, value)
        for extra in extras:  # before the first <tuv>, on a line of its own
            first = tu.find("tuv")
            copied = etree.fromstring(etree.tostring(extra, with_tail=False))
            copied.tail = first.getprevious().tail if first.getprevious() is not None else tu.text
            first.addprevious(copied)
        merged[tu.get("tuid")] = tmx.canonical(tu)
    return merged


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    return Project(tmp_path, monkeypatch)


def test_a_foreign_memory_used_as_ours_keeps_every_unit_through_builds(project: Project):
    shutil.copyfile(FOREIGN, project.memory)
    before_units, before_header = units(FOREIGN), header(FOREIGN)
    project.segment()
    project.approve_all()
    project.segment()  # records the approved segments: the memory is written
    after, approved = units(project.memory), len(read_segment_file(project.segfile).segments)
    assert {k: after[k] for k in before_units} == before_units  # inline codes, notes, props, dates, languages
    assert header(project.memory) == before_header and len(after) == len(before_units) + approved
    data = project.memory.read_bytes()
    assert data.startswith(FOREIGN.read_bytes().split(b"  </body>")[0])  # spliced in: not written anew
    assert b'<!DOCTYPE tmx SYSTEM "tmx14.dtd">' in data and b"<!-- exported 2024-03-11 -->" in data
    assert b'xml:lang="zh-TW"' in data and b'xml:lang="en-GB"' in data and b'xml:lang="zh-Hans"' in data


def test_an_entry_changed_in_a_foreign_unit_changes_only_that(project: Project):
    shutil.copyfile(FOREIGN, project.memory)
    memory = read_memory(project.memory)
    entry = next(e for e in memory.entries if e.source == QUOTED)
    memory.add(MemoryEntry("s9", entry.source, entry.target, entry.state.APPROVED, document="yibin",
                           created="20261201T000000Z", changed="20261201T000000Z", who="Li Wei"))
    write_memory(project.memory, memory)
    after, before = units(project.memory), units(FOREIGN)
    assert {k: v for k, v in after.items() if k != "1003"} == {k: v for k, v in before.items() if k != "1003"}
    changed = after["1003"].decode()
    assert '<prop type="x-state">approved</prop>' in changed and 'changeid="Li Wei"' in changed
    assert '<it pos="begin" x="5">&lt;q&gt;</it>' in changed and 'xml:lang="en-US"' in changed
    assert '<prop type="client">Yibin</prop>' in changed and 'creationtool="memoQ"' in changed


def test_import_moves_the_header_onto_each_unit_and_export_keeps_them_whole(project: Project, tmp_path: Path):
    project.segment()
    project.approve_all()
    project.segment()
    result = runner.invoke(app, ["memory", "import", str(FOREIGN), "--memory", str(project.memory)])
    assert result.exit_code == 0 and "3 added" in result.stdout, result.output
    expected = foreign_units_as_merged()
    interpreted = {"1001", "1002", "1003"}  # 1004 has no English: not ours to take
    assert {k: units(project.memory)[k] for k in interpreted} == {k: expected[k] for k in interpreted}

    project.edit_article("增速位居四川省第一", "增速位居全省第一")
    project.segment()  # a build after the import writes the memory again
    assert {k: units(project.memory)[k] for k in interpreted} == {k: expected[k] for k in interpreted}

    exported = tmp_path / "for-the-agency.tmx"
    assert runner.invoke(app, ["memory", "export", str(exported), "--memory", str(project.memory)]).exit_code == 0
    assert {k: units(exported)[k] for k in interpreted} == {k: expected[k] for k in interpreted}

    stats = runner.invoke(app, ["memory", "stats", "--memory", str(project.memory)])
    ours = len(read_memory(project.memory)) - 3
    assert f"zh-CN → en: {ours}" in stats.stdout and "zh-TW → en-GB: 2" in stats.stdout
    assert "zh-Hans → en-US: 1" in stats.stdout
    assert f"tool leshan-pub: {ours}" in stats.stdout and "tool SDL Language Platform: 2" in stats.stdout
    assert "tool memoQ: 1" in stats.stdout


def test_a_match_whose_english_carries_codes_comes_without_them_and_says_so(project: Project):
    shutil.copyfile(FOREIGN, project.memory)
    project.segment()
    segment = next(s for s in read_segment_file(project.segfile).segments if s.source == QUOTED)
    assert segment.target == "We want gold and silver mountains, and green mountains and clear water too.”"
    assert "<q>" not in segment.target and "{it5}" not in segment.target
    assert any(n.startswith("inline codes removed") and "{it5}We want" in n for n in segment.notes)


def test_matching_reads_text_without_codes_and_keeps_words_apart():
    read = tmx.parse(FOREIGN.read_bytes(), "t")
    english = tmx.variants(read.units[0])[1]
    assert english.text == "Yibin's gross regional product grew 6.8%."
    assert tmx.shown_with_codes(english.seg) == "{1}Yibin{/1}'s gross regional product grew{ph2}6.8%."
    assert tmx.variants(read.units[1])[1].text.startswith("The ecological colour")  # <hi> is text


@pytest.mark.parametrize(
    "data, message",
    [
        (b'<!DOCTYPE tmx [<!ENTITY a "x">]><tmx>&a;</tmx>', "unsafe XML"),
        (b"<tmx><header/><body><tu><tuv xml:lang='en'><seg>R & D</seg></tuv></tu></body></tmx>", "&amp;"),
        (b"<tmx><header/><body>", "ends too early"),
    ],
)
def test_bad_tmx_says_how_to_fix_it(data: bytes, message: str):
    with pytest.raises(TranslationMemoryError, match=message) as caught:
        tmx.parse(data, "their.tmx")
    assert "their.tmx" in str(caught.value) and "git" not in str(caught.value)


def big_tmx(count: int) -> bytes:
    rows = "".join(
        f"<tu tuid='{n}' creationdate='20240101T000000Z' ><prop type=\"x-n\">{n}</prop>"  # as no serialiser writes it
        f'<tuv xml:lang="zh-TW"><seg>第{n}號句子，宜賓的產業在{n % 97}年裡變化很大。</seg></tuv>'
        f'<tuv xml:lang="en-GB"><seg><bpt i="1">&lt;b&gt;</bpt>Sentence {n}<ept i="1">&lt;/b&gt;</ept>: '
        f"Yibin's industry changed a lot in {n % 97} years.</seg></tuv></tu>\n"
        for n in range(count)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="Big" srclang="zh-TW"/>'
            f"<body>\n{rows}</body></tmx>\n").encode()


def test_saving_one_segment_into_a_large_memory_splices_it_in(tmp_path: Path):
    path = tmp_path / "memory.tmx"
    path.write_bytes(big_tmx(20_000))
    before = path.read_bytes()
    memory = read_memory(path)
    memory.add(MemoryEntry("s1", "新的一句。", "A new sentence.", memory.entries[0].state, document="d",
                           created="20261201T000000Z", changed="20261201T000000Z", who="Li"))
    write_memory(path, memory)
    after = path.read_bytes()
    cut = before.index(b"</body>")
    assert after[:cut] == before[:cut] and after.endswith(b"</body></tmx>\n") and b"A new sentence." in after
    assert len(read_memory(path)) == 20_001


@pytest.mark.parametrize(
    "data",
    [
        b'<tmx version="1.1"><header srclang="ZH-CN"/><body><tu><tuv lang="ZH-CN"><seg>\xe4\xbd\xa0\xe5\xa5\xbd</seg>'
        b'</tuv><tuv lang="EN-US"><seg>Hello</seg></tuv></tu></body></tmx>',
        b'<tmx version="1.4"><header srclang="en-US"/><body><tu><tuv xml:lang="en-US"><seg>Hello</seg></tuv>'
        b'<tuv xml:lang="zh-CN"><seg>\xe4\xbd\xa0\xe5\xa5\xbd</seg></tuv></tu></body></tmx>',
        '<?xml version="1.0" encoding="UTF-16"?>\n<tmx version="1.4"><header srclang="zh-CN"/><body>\n<tu><tuv '
        'xml:lang="zh-CN"><seg>你好</seg></tuv><tuv xml:lang="en"><seg>Hello</seg></tuv></tu>\n</body></tmx>'.encode("utf-16"),
        b'\xef\xbb\xbf<tmx version="1.4"><header srclang="*all*"/><body><tu><tuv xml:lang="zh"><seg>\xe4\xbd\xa0'
        b'\xe5\xa5\xbd</seg></tuv><tuv xml:lang="en-GB"><seg>Hello</seg></tuv></tu></body></tmx>',
    ],
    ids=["tmx-1.1-lang", "english-to-chinese", "utf-16", "bom-all-languages"],
)
def test_memories_as_other_tools_write_them_are_read_and_added_to(tmp_path: Path, data: bytes):
    path = tmp_path / "memory.tmx"
    path.write_bytes(data)
    memory = read_memory(path)
    assert [(e.source, e.target) for e in memory.entries] == [("你好", "Hello")]
    memory.add(MemoryEntry("", "新句。", "New.", memory.entries[0].state, created="20260101T000000Z"))
    write_memory(path, memory)
    assert [(e.source, e.target) for e in read_memory(path).entries] == [("你好", "Hello"), ("新句。", "New.")]
