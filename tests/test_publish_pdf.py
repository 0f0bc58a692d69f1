"""The PDF writer, read back with pypdf, pdfplumber and pymupdf: fonts, text, line breaks, furniture."""

from __future__ import annotations

import collections
import unicodedata
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pymupdf
import pypdf
import pytest

from pubchecks import pdf_findings
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import PublishError
from leshan_pub.glossary import Glossary, Term
from leshan_pub.provenance import Origin, Signature, machine_signature, parse_signature, text_hash
from leshan_pub.publish import PublishOptions, publish
from leshan_pub.publish.linebreak import NO_LINE_END, NO_LINE_START


LONG = [
    ("二〇二四年以来，园区先后引进放射性药物研发、医用同位素生产、核医学装备制造等项目十余个，形成了从原料到药品的完整链条。",
     "Since 2024, the park has attracted more than ten projects in radiopharmaceutical research, medical isotope production and nuclear medicine equipment, forming a complete chain from raw materials to medicines."),
    ("其中，¹⁷⁷Lu和⁹⁰Y两种核素的年产能分别达到２０００居里和５００居里，可满足全国约三分之一的临床需求。",
     "Annual capacity for the two nuclides ¹⁷⁷Lu and ⁹⁰Y has reached 2,000 and 500 curies, enough for about a third of national clinical demand."),
    ("企业负责人表示：“我们常说‘同位素就是时间’，半衰期决定了一切。”",
     "The head of the company said: “We often say ‘isotopes are time’; the half-life decides everything.”"),
    ("为缩短运输时间，园区与成都双流国际机场开通了冷链“绿色通道”，产品最快可在六小时内送达省外医院（见图２）。",
     "To shorten transport, the park opened a cold-chain “green channel” with Chengdu Shuangliu airport, reaching hospitals in other provinces in six hours (see Figure 2)."),
    ("与此同时，园区还同捷克Škoda JS公司等国外伙伴在屏蔽容器、热室设备等领域开展技术合作。",
     "The park also works with foreign partners such as Škoda JS of the Czech Republic on shielded containers and hot cells."),
    ("据测算，到２０２７年，全市核医药产业产值有望突破１００亿元，年均增速保持在２５％以上。",
     "The city’s nuclear medicine output is expected to exceed 10 billion yuan by 2027, growing above 25% a year."),
    ("业内人士认为，这种“‘小核素’撬动‘大产业’”的模式，正在成为西部地区培育新质生产力的样本……",
     "Insiders see this model of “‘small nuclides’ lifting ‘a big industry’” as a template for new quality productive forces in the west…"),
    ("下一步，乐山将围绕研发、生产、流通、应用四个环节，持续完善政策、人才、资金等要素保障。",
     "Next, Leshan will keep improving policy, talent and funding support across research, production, distribution and application."),
]

# (role, [(Chinese, English), ...]) per block: the hard cases of a real article.
ARTICLE: list[tuple[Role, list[tuple[str, str]]]] = [
    (Role.TITLE, [("乐山核医药产业：从“同位素之乡”到２０２５年的全球布局", "Leshan’s Nuclear Medicine Industry: From the “Home of Isotopes” to a Global Footprint in 2025")]),
    (Role.CAPTION, [("图１　夹江核技术应用产业园内的¹⁷⁷Lu原料药生产线", "Figure 1. The ¹⁷⁷Lu active pharmaceutical ingredient line in the Jiajiang nuclear technology application industrial park")]),
    (Role.HEADING, [("一、医用同位素：从实验室到病床", "1. Medical isotopes: from the laboratory to the bedside")]),
    (Role.PARAGRAPH, [("２０２５年第一季度，乐山医用同位素产量同比增长４２％。", "In the first quarter of 2025, Leshan’s medical isotope output rose 42% year on year."),
                      ("这一增速在全国同类园区中位居首位。", "That growth rate ranks first among similar parks nationwide.")]),
    (Role.PARAGRAPH, LONG * 3),
    (Role.HEADING, [("二、三项重点任务", "2. Three priority tasks")]),
    (Role.PARAGRAPH, [("（一）建成¹⁷⁷Lu、⁹⁰Y等核素的规模化生产线；", "(1) Build large-scale production lines for nuclides such as ¹⁷⁷Lu and ⁹⁰Y;")]),
    (Role.PARAGRAPH, [("（二）推动３个放射性药物进入临床试验；", "(2) Bring 3 radiopharmaceuticals into clinical trials;")]),
    (Role.PARAGRAPH, [("（三）引育高层次人才不少于２００名。", "(3) Attract and train at least 200 senior professionals.")]),
    (Role.CAPTION, [("图２　冷链运输车整装待发（摄影：王晓）", "Figure 2. Cold-chain vehicles ready to leave (photo: Wang Xiao)")]),
    (Role.PARAGRAPH, [("正如一位专家所说：“这里的‘乐山速度’——不是口号，而是每天都在发生的事实……”", "As one expert put it: “The ‘Leshan speed’ here — it is not a slogan but a fact of every day…”")]),
    (Role.CREDIT, [("（本文数据来源：乐山市经济和信息化局　记者 王晓 李明）", "(Data: Leshan Municipal Bureau of Economy and Information Technology. Reporters: Wang Xiao, Li Ming)")]),
]
GLOSSARY = Glossary([
    Term("医用同位素", "medical isotope"), Term("核技术应用", "nuclear technology application"),
    Term("产业园", "industrial park"), Term("放射性药物", "radiopharmaceutical"), Term("原料药", "active pharmaceutical ingredient"),
    Term("核素", "nuclide", ("nuclides",)), Term("新质生产力", "new quality productive forces"),
])
PROVENANCE = Provenance(tool_version="0.1.0", segmenter_version="1", model="local:opus-x", glossary_sha256=GLOSSARY.sha256)
# The machine-translated segment was made from a local folder: its path must not reach the PDF.
MT = machine_signature(Origin.MT, "transformers", "/home/me/models/opus-x", "", {"beams": "4", "maxlen": "auto", "enf": "1"},
                       GLOSSARY.sha256, "", "0.1.0")
DRAFT_IDS = {"p3s1": ReviewState.MACHINE, "p10s0": ReviewState.NEW}  # p10s0 is untranslated


def article(name: str = "nuclear-medicine", draft: bool = True) -> Document:
    segments = []
    for block, (role, pairs) in enumerate(ARTICLE):
        for i, (zh, en) in enumerate(pairs):
            sid = f"p{block}s{i}"
            state = DRAFT_IDS.get(sid, ReviewState.APPROVED) if draft else ReviewState.APPROVED
            english = "" if state is ReviewState.NEW else en
            made = replace(MT, text=text_hash(en)) if state is ReviewState.MACHINE else Signature(Origin.PERSON, version="0.1.0")
            segments.append(Segment(sid, block, role, zh, english, state, signature=made))
    return Document(name, segments, PROVENANCE)


def source_text(document: Document) -> str:
    return "\n\n".join("".join(s.source for s in block) for block in document.blocks()) + "\n"


def counts(text: str) -> collections.Counter[str]:
    return collections.Counter(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())


def build(tmp: Path, draft: bool = True, **options: object) -> Path:
    (path,) = publish(article(draft=draft), GLOSSARY, tmp, ("pdf",), PublishOptions(**options))  # type: ignore[arg-type]
    return path


@pytest.fixture(scope="session")
def draft_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("draft"))


@pytest.fixture(scope="session")
def final_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("final"), draft=False)


@pytest.fixture(scope="session")
def source_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("source") / "nuclear-medicine.zh.txt"
    path.write_text(source_text(article()), encoding="utf-8")
    return path


def page_texts(path: Path) -> list[str]:
    with pymupdf.open(path) as pdf:
        return [page.get_text() for page in pdf]


def chinese_lines(path: Path, column_only: bool = True) -> list[tuple[int, str]]:
    """Lines of Chinese body text as (page, text): 10.5 pt characters, left of the centre line."""
    found = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            lines: dict[int, list[dict]] = collections.defaultdict(list)
            for ch in page.chars:
                left = ch["x0"] < page.width / 2 or not column_only
                if left and abs(ch["size"] - 10.5) < 0.01 and not ch["text"].isspace():
                    lines[round(ch["top"])].append(ch)
            for _, chars in sorted(lines.items()):
                found.append((page.page_number, "".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"]))))
    return found


def test_every_font_is_embedded_as_a_subset_and_none_is_base14(draft_pdf: Path) -> None:
    with pymupdf.open(draft_pdf) as pdf:
        fonts = {f[0]: f for page in pdf for f in page.get_fonts(full=True)}
        for xref, ext, _type, basefont, *_ in fonts.values():
            assert ext != "n/a" and pdf.extract_font(xref)[3], f"{basefont} is not embedded"
            assert "+" in basefont, f"{basefont} is not a subset"
        names = " ".join(f[3] for f in fonts.values())
    assert "NotoSansSC-Regular" in names and "NotoSansSC-Bold" in names and "NotoSansSC-Oblique" in names
    assert "Vera" in names  # Škoda's Š: Noto Sans SC has no glyph for it
    assert "Helvetica" not in names


def test_every_source_and_target_character_is_in_the_text_layer(draft_pdf: Path) -> None:
    document = article()
    wanted = counts("".join(s.source + s.target for s in document.segments))
    missing = wanted - counts("".join(page_texts(draft_pdf)))
    assert not missing, "".join(missing.elements())


def test_chinese_column_lines_obey_line_breaking_rules(draft_pdf: Path) -> None:
    lines = chinese_lines(draft_pdf)
    assert len(lines) > 60
    assert not [(p, t) for p, t in lines if t[0] in NO_LINE_START or t[-1] in NO_LINE_END]


def test_interleaved_layout_keeps_every_character_and_the_rules(tmp_path: Path) -> None:
    path = build(tmp_path, layout="interleaved")
    document = article()
    assert not counts("".join(s.source + s.target for s in document.segments)) - counts("".join(page_texts(path)))
    lines = chinese_lines(path, column_only=False)
    assert lines and not [(p, t) for p, t in lines if t[0] in NO_LINE_START or t[-1] in NO_LINE_END]


def test_long_paragraph_continues_on_the_next_page(draft_pdf: Path) -> None:
    lines = chinese_lines(draft_pdf)
    first = next(p for p, t in lines if t.startswith("二〇二四年以来"))
    last = max(p for p, t in lines if "要素保障" in t)
    assert last > first


def test_superscripts_and_full_width_digits_copy_out_as_written(draft_pdf: Path) -> None:
    """The text layer is the author's: ¹⁷⁷Lu, not 177Lu; ２０２５, not 2025 (the font draws them)."""
    text = "".join(page_texts(draft_pdf))
    assert "¹⁷⁷Lu" in text and "⁹⁰Y" in text and "２０２５年" in text and "４２％" in text
    assert "177Lu" not in text and "2025年" not in text


def test_outline_has_title_headings_and_glossary(draft_pdf: Path) -> None:
    titles = [item.title for item in pypdf.PdfReader(draft_pdf).outline]
    assert titles[0].startswith("乐山核医药产业")
    assert any(t.startswith("一、医用同位素") and "Medical isotopes" in t for t in titles)
    assert any(t.startswith("二、三项重点任务") for t in titles)
    assert titles[-1].startswith("术语表")


def test_metadata_has_title_subject_keywords_and_provenance(draft_pdf: Path) -> None:
    info = pypdf.PdfReader(draft_pdf).metadata
    assert info.title.startswith("乐山核医药产业") and "Leshan’s Nuclear Medicine" in info.title
    assert "bilingual" in info.subject and "DRAFT" in info.subject
    assert "medical isotope" in info["/Keywords"]
    signature = info.creator.split("; ")[1].removeprefix("signature ")
    assert parse_signature(signature) == Signature(
        origin=f"mt=1+person={len(article().segments) - 2}", engine="transformers", model="local:opus-x",
        settings=(("beams", "4"), ("maxlen", "auto"), ("enf", "1")), glossary=GLOSSARY.sha256[:12], version="0.1.0",
    )
    assert "/home" not in info.creator and "me/models" not in info.creator
    assert info.creator.startswith("leshan-pub 0.1.0; ") and "2 of" in info.creator


def test_identical_inputs_give_identical_bytes(tmp_path: Path, draft_pdf: Path) -> None:
    assert build(tmp_path).read_bytes() == draft_pdf.read_bytes()


def test_draft_marks_every_page(draft_pdf: Path) -> None:
    texts = page_texts(draft_pdf)
    assert len(texts) >= 3
    assert all("DRAFT — 2 segments await review" in text for text in texts)
    with pymupdf.open(draft_pdf) as pdf:
        for page in pdf:
            fills = {tuple(round(c, 2) for c in d["fill"]) for d in page.get_drawings() if d.get("fill")}
            assert (0.96, 0.91, 0.9) in fills, "watermark drawn on every page"
    # The watermark is shapes, not text: copying a paragraph never picks up DRAFT.
    assert all(text.count("DRAFT") == 1 for text in texts)


def test_untranslated_block_shows_a_placeholder(draft_pdf: Path) -> None:
    assert "[not yet translated]" in "".join(page_texts(draft_pdf))


def test_final_document_has_no_draft_marks(final_pdf: Path) -> None:
    texts = page_texts(final_pdf)
    assert not any("DRAFT" in text for text in texts)
    assert "final" in pypdf.PdfReader(final_pdf).metadata.creator


def test_footer_counts_pages(draft_pdf: Path) -> None:
    texts = page_texts(draft_pdf)
    for number, text in enumerate(texts, 1):
        assert f"page {number} of {len(texts)}" in text


def test_running_header_from_page_two(draft_pdf: Path) -> None:
    with pdfplumber.open(draft_pdf) as pdf:
        headers = ["".join(c["text"] for c in page.chars if c["top"] < 20 * 2.835) for page in pdf.pages]
    assert headers[0] == ""  # the title block opens page 1
    assert all(h.startswith("乐山核医药产业") and "Leshan’sNuclearMedicine" in h.replace(" ", "") for h in headers[1:])


def test_glossary_appendix_lists_terms_used(draft_pdf: Path) -> None:
    text = page_texts(draft_pdf)[-1]
    assert "术语表" in text and "Glossary" in text
    assert "放射性药物" in text and "radiopharmaceutical" in text


@pytest.mark.parametrize(("size", "points"), [("A4", (595.3, 841.9)), ("Letter", (612.0, 792.0))])
def test_page_sizes(tmp_path: Path, size: str, points: tuple[float, float]) -> None:
    path = build(tmp_path, draft=False, page_size=size)
    box = pypdf.PdfReader(path).pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == points
    assert not counts(source_text(article())) - counts("".join(page_texts(path)))


def test_final_refuses_unapproved_segments_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"2 segment\(s\).*p3s1, p10s0"):
        publish(article(), GLOSSARY, tmp_path, ("pdf",), PublishOptions(final=True))
    assert not list(tmp_path.iterdir())


def test_final_publishes_an_approved_document(tmp_path: Path) -> None:
    (path,) = publish(article(draft=False), GLOSSARY, tmp_path, ("pdf",), PublishOptions(final=True))
    assert path.read_bytes().startswith(b"%PDF")


def test_user_truetype_font_is_embedded(tmp_path: Path) -> None:
    from test_publish_fonts import tiny_font  # the box-glyph font builder

    from leshan_pub.publish import page_labels
    from leshan_pub.publish.pdf import FURNITURE
    from leshan_pub.script import Script

    document = Document("tiny", [Segment("p0s0", 0, Role.PARAGRAPH, "乐山核技术，", "Leshan nuclear", ReviewState.MACHINE)], PROVENANCE)
    labels = "".join(page_labels(Script.HANS).texts)
    chinese = {c for c in "".join(FURNITURE) + labels + "乐山核技术，" if ord(c) > 0x2FFF}
    font = tiny_font(tmp_path / "tiny.ttf", "".join(sorted(chinese)))
    (path,) = publish(document, None, tmp_path / "out", ("pdf",), PublishOptions(font=font))
    with pymupdf.open(path) as pdf:
        names = {f[3] for page in pdf for f in page.get_fonts(full=True)}
        watermark = [d for d in pdf[0].get_drawings() if d.get("fill") and round(d["fill"][0], 2) == 0.96]
    assert any("Tiny" in n for n in names)
    assert "乐山核技术" in "".join(page_texts(path))
    # The tiny font has no Latin letters: the DRAFT watermark takes Vera Bold's curves, not boxes.
    assert watermark and any(item[0] == "c" for item in watermark[0]["items"])


def test_independent_checks_find_fonts_embedded_no_lost_characters_and_line_breaks_kept(
    draft_pdf: Path, source_file: Path
) -> None:
    findings = pdf_findings(draft_pdf, source_file.read_text(encoding="utf-8"))
    assert findings.clean and findings.pages, findings
    # The check can fail: a source character the page lacks is reported as lost.
    assert pdf_findings(draft_pdf, source_file.read_text(encoding="utf-8") + "龘").lost == "龘"


def test_documents_published_one_after_another_keep_their_own_characters(tmp_path: Path) -> None:
    """reportlab shares fonts by PostScript name; each document's subset must stay its own."""
    first = Document("first", [Segment("a", 0, Role.PARAGRAPH, "乐山高质量发展。", "Leshan.", ReviewState.APPROVED)],
                     Provenance("0", "1"))
    second = Document("second", [Segment("b", 0, Role.HEADING, "从实验室到病床", "From lab to bed", ReviewState.APPROVED),
                                 Segment("c", 1, Role.PARAGRAPH, "瓷器和竹简。", "Porcelain.", ReviewState.APPROVED)],
                      Provenance("0", "1"))
    publish(first, None, tmp_path, ("pdf",))
    (path,) = publish(second, None, tmp_path, ("pdf",))
    text = "".join(page_texts(path))
    assert "从实验室到病床" in text and "瓷器和竹简" in text and "\x00" not in text


def test_a_second_title_block_is_set_as_the_subtitle(tmp_path: Path) -> None:
    segments = [
        Segment("t0", 0, Role.TITLE, "乐山绿色硅谷建设提速", "Leshan speeds up its green silicon valley", ReviewState.APPROVED),
        Segment("t1", 1, Role.TITLE, "——记乐山市多晶硅产业链", "— on Leshan's polysilicon chain", ReviewState.APPROVED),
        Segment("p0", 2, Role.PARAGRAPH, "多晶硅产量增长。", "Polysilicon output grew.", ReviewState.APPROVED),
    ]
    (path,) = publish(Document("silicon", segments, PROVENANCE), GLOSSARY, tmp_path, ("pdf",))
    with pdfplumber.open(path) as pdf:
        sizes = {ch["text"]: round(ch["size"], 1) for ch in pdf.pages[0].chars if ch["text"] in "速链"}
    assert sizes == {"速": 19.0, "链": 14.0}  # the title at title size, the subtitle under it smaller
