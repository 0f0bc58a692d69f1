"""Fonts for the PDF: Noto Sans SC subset and instanced per document, cached; user fonts; routing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

from leshan_pub.errors import PublishError
from leshan_pub.publish import fonts
from leshan_pub.publish.fonts import Route, prepare_fonts, script_shift

TEXTS = [("segment p1s1", "乐山夹江核技术应用产业园，２０２５年¹⁷⁷Lu和⁹⁰Y。"), ("segment p1s2", "“Škoda” isotopes ‘quoted’")]


def tiny_font(path: Path, chars: str, cff: bool = False, family: str = "Tiny Test") -> Path:
    """A font whose glyphs are boxes, one per character: TrueType (glyf) or OpenType/CFF."""
    names = [".notdef", *(f"uni{ord(c):04X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=not cff)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    if cff:
        strings = {}
        for name in names:
            pen = T2CharStringPen(1000, None)
            _box(pen)
            strings[name] = pen.getCharString()
        builder.setupCFF(family.replace(" ", ""), {"FullName": family}, strings, {})
    else:
        glyphs = {}
        for name in names:
            pen = TTGlyphPen(None)
            _box(pen)
            glyphs[name] = pen.glyph()
        builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({n: (1000, 100) for n in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))
    return path


def _box(pen: object) -> None:
    pen.moveTo((100, -100))  # type: ignore[attr-defined]
    pen.lineTo((100, 800))  # type: ignore[attr-defined]
    pen.lineTo((900, 800))  # type: ignore[attr-defined]
    pen.lineTo((900, -100))  # type: ignore[attr-defined]
    pen.closePath()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def noto() -> fonts.FontSet:
    return prepare_fonts(TEXTS)


def test_instances_are_static_regular_and_bold_subsets(noto: fonts.FontSet) -> None:
    regular, bold = TTFont(noto.regular.path), TTFont(noto.bold.path)
    assert "fvar" not in regular and "gvar" not in regular
    assert (regular["OS/2"].usWeightClass, bold["OS/2"].usWeightClass) == (400, 700)
    assert regular["name"].getDebugName(1) == "Noto Sans SC"
    # Subset to the document: a few hundred glyphs, not 65,000.
    assert len(regular.getGlyphOrder()) < 1000
    assert set("乐山夹江核技术应用产业园２０２５年Lu和Y177") <= noto.covered


def test_italic_face_is_noto_sans_italic_drawn_as_an_italic(noto: fonts.FontSet) -> None:
    italic = TTFont(noto.italic.path)
    assert italic["name"].getDebugName(6) == "NotoSans-Italic"
    assert "glyf" in italic and "fvar" not in italic and italic["OS/2"].usWeightClass == 400
    assert italic["post"].italicAngle < -5
    assert italic["head"].fontRevision > 0 and "Italic" in italic["name"].getDebugName(4)
    # The designers' italic, taken whole from the package: no CJK glyph in it to be slanted.
    assert not {ch for ch in noto.italic_covered if ord(ch) >= 0x3000}
    assert set("Lu Y Škoda quoted") <= noto.italic_covered


def test_second_preparation_comes_from_the_cache(noto: fonts.FontSet, font_cache: Path) -> None:
    before = {p: p.stat().st_size for p in (font_cache / "fonts").glob("*.ttf")}
    start = time.perf_counter()
    again = prepare_fonts(TEXTS)
    assert time.perf_counter() - start < 0.5
    assert again == noto
    assert {p: p.stat().st_size for p in (font_cache / "fonts").glob("*.ttf")} == before
    assert not list((font_cache / "fonts").glob("*.tmp")), "cache writes are atomic"


def test_cache_key_follows_the_character_set(noto: fonts.FontSet) -> None:
    assert fonts._cache_key(fonts.Face(fonts.find_cjk_font()), fonts._characters(TEXTS)) in str(noto.regular.path)
    assert fonts._characters(TEXTS) != fonts._characters([*TEXTS, ("x", "岷")])


def test_explicit_cache_dir_wins_over_the_environment(tmp_path: Path) -> None:
    assert fonts.cache_root(tmp_path) == tmp_path
    assert fonts.cache_root() != tmp_path


@pytest.mark.parametrize(
    ("ch", "route", "plain"),
    [("¹", Route.SUPER, "1"), ("²", Route.SUPER, "2"), ("³", Route.SUPER, "3"), ("⁰", Route.SUPER, "0"),
     ("⁷", Route.SUPER, "7"), ("⁹", Route.SUPER, "9"), ("₂", Route.SUB, "2")],
)
def test_superscript_and_subscript_digits_have_plain_forms(ch: str, route: Route, plain: str) -> None:
    assert script_shift(ch) == (route, plain)


def _bounds(font: TTFont, ch: str) -> tuple[int, int, int, int, int]:
    """(xMin, yMin, xMax, yMax, advance) of ch's glyph."""
    name = font.getBestCmap()[ord(ch)]
    glyph = font["glyf"][name]
    glyph.recalcBounds(font["glyf"])
    return glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax, font["hmtx"][name][0]


@pytest.mark.parametrize(("ch", "plain", "raised"), [("⁷", "7", True), ("¹", "1", True), ("⁰", "0", True), ("⁹", "9", True)])
def test_superscripts_are_glyphs_of_their_own_smaller_and_raised(noto: fonts.FontSet, ch: str, plain: str, raised: bool) -> None:
    """Noto Sans SC lacks ⁷: the prepared font has it, so the text layer can carry it."""
    font = TTFont(noto.regular.path)
    small, big = _bounds(font, ch), _bounds(font, plain)
    upem = font["head"].unitsPerEm
    assert noto.route(ch) is Route.MAIN
    assert small[3] - small[1] == pytest.approx(fonts.SUPER_SCALE * (big[3] - big[1]), abs=3)
    assert small[4] == pytest.approx(fonts.SUPER_SCALE * big[4], abs=1)
    assert small[1] == pytest.approx(fonts.SUPER_SCALE * big[1] + fonts.SUPER_RISE * upem, abs=3)


def test_full_width_digits_are_drawn_with_the_ordinary_digits(noto: fonts.FontSet) -> None:
    for face in (noto.regular, noto.bold):
        cmap = TTFont(face.path).getBestCmap()
        assert [cmap[ord(c)] for c in "２０２５"] == [cmap[ord(c)] for c in "2025"]


def test_traditional_script_gets_noto_sans_tc_and_keeps_every_character() -> None:
    from leshan_pub.script import Script

    traditional = prepare_fonts([("segment a", "樂山全釩液流電池，中英對照版，術語表¹⁷⁷Lu")], script=Script.HANT)
    assert traditional.family == "Noto Sans TC"
    assert TTFont(traditional.regular.path)["name"].getDebugName(1) == "Noto Sans TC"
    assert set("樂山全釩液流電池對照術語表⁷") <= traditional.covered
    assert traditional.second == ()  # nothing missing: no second face


def test_characters_the_scripts_font_lacks_come_from_the_other_one() -> None:
    """乐 and 钒 quoted in a traditional article: Noto Sans TC lacks them, Noto Sans SC draws them."""
    from leshan_pub.script import Script

    mixed = prepare_fonts([("segment a", "樂山的乐山和钒電池¹⁷⁷Lu")], script=Script.HANT)
    assert mixed.family == "Noto Sans TC"
    assert (mixed.route("樂"), mixed.route("乐"), mixed.route("钒"), mixed.route("⁷")) == (
        Route.MAIN, Route.SECOND, Route.SECOND, Route.MAIN)
    second = TTFont(mixed.second[0].path)
    assert second["name"].getDebugName(1) == "Noto Sans SC" and len(second.getGlyphOrder()) < 400


def test_routes(noto: fonts.FontSet) -> None:
    assert noto.route("乐") is Route.MAIN
    assert noto.route("A") is Route.MAIN  # one family for Latin too: never a base-14 font
    assert noto.route("Š") is Route.FALLBACK  # Noto Sans SC lacks it; Vera has it
    assert noto.route("ᚠ") is None
    assert script_shift("™") is None


def test_character_no_font_has_is_refused_naming_it_and_its_segment() -> None:
    with pytest.raises(PublishError, match=r"segment p9s9: character 'ᚠ' \(U\+16A0 RUNIC LETTER FEHU FEOH FE F\)"):
        prepare_fonts([("segment p9s9", "乐山ᚠ")])


def test_missing_cjk_package_says_how_to_install() -> None:
    with pytest.raises(PublishError, match="pip install justmytype-intl-cjk"):
        fonts.find_cjk_font("no_such_font_package")


def test_opentype_cff_font_is_refused(tmp_path: Path) -> None:
    font = tiny_font(tmp_path / "cff.otf", "乐山", cff=True)
    with pytest.raises(PublishError, match="reportlab embeds only TrueType"):
        prepare_fonts([("segment a", "乐山")], font=font)


def test_missing_user_font_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="not found"):
        prepare_fonts([("segment a", "乐山")], font=tmp_path / "nope.ttf")


def test_static_user_truetype_serves_every_style(tmp_path: Path) -> None:
    font = tiny_font(tmp_path / "tiny.ttf", "乐山核")
    prepared = prepare_fonts([("segment a", "乐山核 A")], font=font, cache_dir=tmp_path / "cache")
    assert prepared.family == "Tiny Test"
    assert {"乐", "山", "核"} <= prepared.covered
    assert prepared.route("A") is Route.FALLBACK  # the tiny font has no Latin: Vera draws it


def test_static_user_truetype_with_digits_serves_regular_and_bold(tmp_path: Path) -> None:
    """--font with a static TrueType that has digits (WenQuanYi, most system fonts) failed with an
    AssertionError from fontTools: the superscripts drawn for regular were added again for bold, to
    the same font object."""
    font = tiny_font(tmp_path / "static.ttf", "乐山核年0123")
    prepared = prepare_fonts([("segment a", "乐山核 2024年¹⁷⁷Lu")], font=font, cache_dir=tmp_path / "cache")
    for face in (prepared.regular, prepared.bold):
        cmap = TTFont(face.path).getBestCmap()
        assert {ord(c) for c in "乐山核年0123¹"} <= set(cmap)
        assert cmap[ord("¹")] != cmap[ord("1")]  # a raised glyph of its own, in each face


def test_a_fontforge_built_font_is_subset_without_a_word_on_stderr(tmp_path: Path, capfd, caplog) -> None:
    font = TTFont(tiny_font(tmp_path / "forged.ttf", "乐山核"))
    font["FFTM"] = fftm = newTable("FFTM")
    fftm.version, fftm.FFTimeStamp, fftm.sourceCreated, fftm.sourceModified = 1, 0, 0, 0
    font.save(str(tmp_path / "forged.ttf"))
    prepare_fonts([("segment a", "乐山核")], font=tmp_path / "forged.ttf", cache_dir=tmp_path / "cache")
    assert "FFTM" not in capfd.readouterr().err and "FFTM" not in caplog.text


def test_collection_member_that_covers_the_article_is_chosen(tmp_path: Path) -> None:
    collection = TTCollection()
    collection.fonts = [TTFont(tiny_font(tmp_path / "a.ttf", "乐")), TTFont(tiny_font(tmp_path / "b.ttf", "乐山核"))]
    collection.save(str(tmp_path / "pair.ttc"))
    prepared = prepare_fonts([("segment a", "乐山核")], font=tmp_path / "pair.ttc", cache_dir=tmp_path / "cache")
    assert {"乐", "山", "核"} <= prepared.covered
    assert "-1-" in prepared.regular.path.name  # subfont index 1 is in the cache key


def test_outline_gives_drawable_shapes(noto: fonts.FontSet) -> None:
    operations, advance = fonts.outline(noto.bold, "DRAFT")
    assert advance > 2
    assert {name for name, _ in operations} >= {"moveTo", "lineTo", "closePath"}
