"""Fonts for the PDF: find a TrueType CJK font for the article's script and a real italic for English,
subset and instance them per document, add the forms the CJK font lacks, route missing glyphs."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.pens.basePen import BasePen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, TTLibError
from fontTools.varLib import instancer

from ..atomic import write_bytes_atomic
from ..cache import user_cache_root
from ..errors import PublishError
from ..script import Script

CJK_PACKAGE = "justmytype_intl_cjk"
# The Noto Sans CJK families the package ships as variable TrueType (glyf), by script: each draws
# its own region's glyph forms, and Noto Sans TC has no simplified-only characters (乐, 钒).
CJK_FONTS = {Script.HANS: ("NotoSansSC*.ttf", "Noto Sans SC"), Script.HANT: ("NotoSansTC*.ttf", "Noto Sans TC")}
CJK_FONT_GLOB, DEFAULT_FAMILY = CJK_FONTS[Script.HANS]
REGULAR, BOLD = 400, 700
# English italics (captions, emphasis) in a real italic, drawn as such by its designers: Noto Sans
# Italic, the Latin companion of Noto Sans SC, shipped as variable TrueType (glyf, OFL) by
# justmytype-western-core. A slanted upright (a fake oblique) is what typographers reject.
ITALIC_PACKAGE = "justmytype_western_core"
ITALIC_FONT_GLOB = "NotoSans-Italic*.ttf"
# Keep the cache bounded: a font set is about 3 files of 100-400 KB per article.
CACHE_MAX_FILES = 300
# Superscripts and subscripts the font lacks (Noto has ¹²³ but no ⁷) are added as its own digits,
# smaller and raised or lowered, in em: the text layer then carries ¹⁷⁷ as the author wrote it.
SUPER_SCALE, SUPER_RISE, SUB_RISE = 0.62, 0.36, -0.12
# Bump when what _build writes changes, so cached fonts of an earlier recipe are not reused.
FONT_RECIPE = "3"

# Always in the subset, so edits to the English rarely change the cache key: printable ASCII,
# Latin-1, general punctuation, CJK punctuation and the full-width forms.
_BASE_RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A), (0x3000, 0x3011), (0xFF01, 0xFF5E))
BASE_CHARACTERS = frozenset(chr(c) for lo, hi in _BASE_RANGES for c in range(lo, hi + 1))
# Full-width digits and letters (２０２５, ＬＥＤ): set with the ordinary glyphs, as Chinese printers do.
FULL_WIDTH_ALNUM = frozenset(
    chr(c) for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(lo, hi + 1)
)


class Route(StrEnum):
    """How one character is drawn."""

    MAIN = "main"  # a glyph of the CJK font (with the super/subscripts and digit forms we add)
    SUPER = "super"  # its plain form raised and smaller: only where no glyph could be added
    SUB = "sub"  # its plain form lowered and smaller: likewise
    SECOND = "second"  # a glyph of the other script's Noto font (乐 in a traditional article)
    FALLBACK = "fallback"  # a glyph of reportlab's Vera.ttf


@dataclass(frozen=True)
class Face:
    """One TrueType font file (and its index inside a .ttc) ready for reportlab."""

    path: Path
    subfont_index: int = 0


@dataclass(frozen=True)
class FontSet:
    """The faces one document is set in, and which characters each can draw."""

    family: str
    key: str  # short hash of font and character set: unique names when registering faces
    regular: Face
    bold: Face
    italic: Face  # Latin only: the characters it lacks (all Chinese) are set upright, never slanted
    fallback: Face
    covered: frozenset[str] = field(repr=False)
    fallback_covered: frozenset[str] = field(repr=False)
    second: tuple[Face, ...] = ()  # regular and bold of the other script's font; () when not needed
    second_covered: frozenset[str] = field(default=frozenset(), repr=False)
    italic_covered: frozenset[str] = field(default=frozenset(), repr=False)

    def route(self, ch: str) -> Route | None:
        """How ch is drawn; None when no face has it."""
        if ch in self.covered:
            return Route.MAIN
        if ch in self.second_covered:
            return Route.SECOND
        shifted = script_shift(ch)
        if shifted is not None:
            return shifted[0]
        if ch in self.fallback_covered:
            return Route.FALLBACK
        return None


def script_shift(ch: str) -> tuple[Route, str] | None:
    """(SUPER or SUB, the plain character) for superscript/subscript digits and signs, else None.

    Noto Sans SC lacks ⁰ and ⁴-⁹: _add_forms draws every one of them from the plain character,
    smaller and shifted, so ¹⁷⁷ keeps one style.
    """
    if not ("\u2070" <= ch <= "\u209f" or ch in "\u00b9\u00b2\u00b3"):
        return None
    tag, _, code = unicodedata.decomposition(ch).partition(" ")
    if tag == "<super>" and code:
        return Route.SUPER, chr(int(code, 16))
    if tag == "<sub>" and code:
        return Route.SUB, chr(int(code, 16))
    return None


def find_cjk_font(package: str = CJK_PACKAGE, script: Script = Script.HANS) -> Path:
    """The Noto Sans SC (or, for traditional script, TC) variable TrueType shipped by
    justmytype-intl-cjk; PublishError when absent."""
    found = _packaged_font(package, CJK_FONTS.get(script, CJK_FONTS[Script.HANS])[0])
    if found is not None:
        return found
    raise PublishError(
        "no CJK TrueType font found for the PDF: run `pip install justmytype-intl-cjk` "
        "or pass --font with a TrueType (.ttf/.ttc) font that has Chinese glyphs"
    )


def _packaged_font(package: str, glob: str) -> Path | None:
    """The first font file matching glob inside an installed font package; None when there is none."""
    spec = importlib.util.find_spec(package)
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).rglob(glob))
        if found:
            return found[0]
    return None


def find_italic_font(package: str = ITALIC_PACKAGE) -> Path:
    """Noto Sans Italic (variable TrueType) as justmytype-western-core ships it; PublishError when absent."""
    found = _packaged_font(package, ITALIC_FONT_GLOB)
    if found is not None:
        return found
    raise PublishError(
        "no italic font found for the PDF's English: run `pip install justmytype-western-core` "
        "(it ships Noto Sans Italic)"
    )


def fallback_face() -> Face:
    """reportlab's bundled Vera.ttf, found without importing reportlab."""
    spec = importlib.util.find_spec("reportlab")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "fonts" / "Vera.ttf"
        if path.is_file():
            return Face(path)
    raise PublishError("reportlab's fonts/Vera.ttf is missing; reinstall reportlab")


@lru_cache(maxsize=8)
def _cmap(face: Face) -> frozenset[str]:
    font = _open(face)
    try:
        return frozenset(chr(c) for c in font.getBestCmap())
    finally:
        font.close()


def cache_root(cache_dir: Path | None = None) -> Path:
    """Where prepared fonts live: cache_dir, else $LESHAN_PUB_CACHE_DIR, else the user cache folder."""
    return Path(cache_dir) if cache_dir is not None else user_cache_root()


def family_name(font: Path | None = None, script: Script = Script.HANS) -> str:
    """The family name of a user's font, or the Noto Sans family for the script (TC for traditional,
    SC otherwise); for DOCX font slots (no file is changed)."""
    return _family(Face(Path(font))) if font is not None else CJK_FONTS.get(script, CJK_FONTS[Script.HANS])[1]


def can_draw(font: Path | None, text: str, script: Script = Script.HANS) -> bool:
    """Whether the font publishing would use (a user's, else the packaged one for script) has every
    character of text; for choosing page labels a user's font can draw."""
    if font is None:
        path = find_cjk_font(script=Script.HANT if script is Script.HANT else Script.HANS)
        return set(text) <= _cmap(Face(path))
    path = Path(font)
    try:
        count = len(TTCollection(path, lazy=True).fonts) if _is_collection(path) else 1
        return any(set(text) <= _cmap(Face(path, i)) for i in range(count))
    except (TTLibError, OSError, PublishError):
        return True  # prepare_fonts says what is wrong with the font


def _family(face: Face) -> str:
    loaded = _open(face)
    try:
        name = loaded["name"]
        return str(name.getDebugName(16) or name.getDebugName(1) or DEFAULT_FAMILY)
    finally:
        loaded.close()


def prepare_fonts(
    texts: Iterable[tuple[str, str]], font: Path | None = None, cache_dir: Path | None = None,
    script: Script = Script.HANS,
) -> FontSet:
    """Faces that draw every character of texts, given as (where, text) pairs for messages.

    The CJK font (a user's TrueType, else Noto Sans TC for a traditional script, SC otherwise)
    is subset to the characters used and, when variable, instanced at regular and bold; the
    superscripts, subscripts and full-width digits and letters it draws are added (_add_forms);
    results are cached by (font hash, recipe, character-set hash). With the packaged fonts, the
    characters the script's font lacks (a simplified 乐 quoted in a traditional article) come
    from the other one, the second face. Raises PublishError for a CFF font or a character no
    face has.
    """
    texts = list(texts)
    folder = cache_root(cache_dir) / "fonts"
    fallback = fallback_face()
    other: Face | None = None
    if font is None:
        source, family, other = _packaged_faces(script)
    else:
        source = _source_face(font, texts)
        family = _family(source)
    characters = _characters(texts)
    italic_source = Face(find_italic_font())
    paths, key = _paths(folder, source, characters, STYLES + ("400i",))
    cached = all(p.is_file() for p in paths.values())
    # On a cache hit the small subset answers; otherwise check before the slow build.
    covered = _cmap(Face(paths["400"])) if cached else _cmap(source)
    missing = "".join(sorted({ch for _, text in texts for ch in text} - covered - _cmap(fallback)))
    second_missing = "".join(ch for ch in missing if other is not None and ch in _cmap(other))
    second = _paths(folder, other, _characters([("", second_missing)]), STYLES)[0] if other and second_missing else {}
    _check_glyphs(texts, covered | (_cmap(other) if second else frozenset()), _cmap(fallback))
    for face, wanted, built in ((source, characters, paths), (other, second_missing, second)):
        if face is not None and built and not all(p.is_file() for p in built.values()):
            _build(face, _characters([("", wanted)]) if face is other else wanted, built, italic_source)
            _prune(folder)
        for path in built.values():
            os.utime(path)  # mtime marks last use, for pruning
    regular = Face(paths["400"])
    return FontSet(
        family=family,
        key=hashlib.sha256(key.encode()).hexdigest()[:12],
        regular=regular,
        bold=Face(paths["700"]),
        italic=Face(paths["400i"]),
        fallback=fallback,
        covered=_cmap(regular),
        fallback_covered=_cmap(fallback),
        second=tuple(Face(second[style]) for style in STYLES) if second else (),
        second_covered=_cmap(Face(second["400"])) if second else frozenset(),
        italic_covered=_cmap(Face(paths["400i"])),
    )


def _packaged_faces(script: Script) -> tuple[Face, str, Face]:
    """(the packaged Noto face for script, its family, the other script's face for what it lacks)."""
    first = Script.HANT if script is Script.HANT else Script.HANS
    other = Script.HANS if first is Script.HANT else Script.HANT
    return Face(find_cjk_font(script=first)), CJK_FONTS[first][1], Face(find_cjk_font(script=other))


STYLES = ("400", "700")  # the CJK font's instances; "400i" is the italic's


def _paths(folder: Path, face: Face, characters: str, styles: tuple[str, ...]) -> tuple[dict[str, Path], str]:
    """The cache files of face subset to characters, by style (400, 700, and 400i for the italic), and their key."""
    key = _cache_key(face, characters)
    return {style: folder / f"{key}-{style}.ttf" for style in styles}, key


def _source_face(font: Path | None, texts: list[tuple[str, str]]) -> Face:
    """The face to subset: the user's font (best-covering member of a .ttc), else Noto Sans SC."""
    if font is None:
        return Face(find_cjk_font())
    path = Path(font)
    if not path.is_file():
        raise PublishError(f"font {path} not found; pass --font with an existing .ttf or .ttc file")
    try:
        count = len(TTCollection(path, lazy=True).fonts) if _is_collection(path) else 1
    except (TTLibError, OSError) as exc:
        raise PublishError(f"cannot read font {path}: {exc}; give a TrueType .ttf or .ttc") from None
    used = set(_characters(texts))
    faces = [Face(path, i) for i in range(count)]
    for face in faces:
        _require_truetype(face)
    # A .ttc bundles regional or styled variants: take the one that covers the article best.
    return max(faces, key=lambda f: (len(used & _cmap(f)), -f.subfont_index))


def _is_collection(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"ttcf"


def _open(face: Face) -> TTFont:
    try:
        return TTFont(face.path, fontNumber=face.subfont_index, lazy=True)
    except (TTLibError, OSError, AssertionError) as exc:
        raise PublishError(f"cannot read font {face.path}: {exc}; give a TrueType .ttf or .ttc") from None


def _require_truetype(face: Face) -> None:
    font = _open(face)
    try:
        if "CFF " in font or "CFF2" in font:
            raise PublishError(
                f"font {face.path} has OpenType/CFF outlines; reportlab embeds only TrueType (glyf) "
                "outlines: pass a .ttf or .ttc font (e.g. Noto Sans SC's TrueType release)"
            )
        if "glyf" not in font or "cmap" not in font:
            raise PublishError(f"font {face.path} has no TrueType outlines or character map; pass another font")
    finally:
        font.close()


def _characters(texts: Iterable[tuple[str, str]]) -> str:
    """The sorted character set to subset: the texts' characters, their plain forms, and the base set."""
    chars = set(BASE_CHARACTERS)
    for _, text in texts:
        for ch in text:
            chars.add(ch)
            shifted = script_shift(ch)
            if shifted:
                chars.add(shifted[1])
    return "".join(sorted(chars))


def _check_glyphs(texts: Iterable[tuple[str, str]], covered: frozenset[str], fallback: frozenset[str]) -> None:
    """Raise PublishError naming the first character (and where it is) that no face can draw."""
    for where, text in texts:
        for ch in text:
            if ch.isspace() or script_shift(ch) or ch in covered or ch in fallback:
                continue
            name = unicodedata.name(ch, "unnamed")
            raise PublishError(
                f"{where}: character {ch!r} (U+{ord(ch):04X} {name}) has no glyph in the CJK font or in "
                "Vera; replace it in the text or pass --font with a font that has it"
            )


def _cache_key(face: Face, characters: str) -> str:
    digest = hashlib.sha256()
    with face.path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    font_hash = digest.hexdigest()[:16]
    italic = find_italic_font()  # named by file and size: its package's version changes either
    recipe = f"{FONT_RECIPE}:{italic.name}:{italic.stat().st_size}"
    char_hash = hashlib.sha256(f"{recipe}:{characters}".encode()).hexdigest()[:16]
    return f"{font_hash}-{face.subfont_index}-{char_hash}"


def _build(source: Face, characters: str, paths: dict[str, Path], italic: Face | None = None) -> None:
    """Subset, then instance at regular and bold (subset first: 30x faster); with "400i" in paths,
    the italic too (subset to the same characters: it keeps the Latin ones it has)."""
    font = _subset(source, characters)
    regular, bold = _instance(font, REGULAR), _instance(font, BOLD)
    # A static font is its own regular and bold instance (one object): its forms are added once.
    _save_atomic(_add_forms(regular, characters), paths["400"])
    _save_atomic(regular if bold is regular else _add_forms(bold, characters), paths["700"])
    if "400i" in paths and italic is not None:
        source_family = str(TTFont(italic.path, lazy=True)["name"].getDebugName(1) or "Noto Sans")
        slanted = _instance(_subset(italic, characters), REGULAR)
        _rename(slanted, "Italic", source_family)
        _save_atomic(slanted, paths["400i"])


def _subset(source: Face, characters: str) -> TTFont:
    """source cut down to characters, without hinting or layout tables (reportlab does no shaping)."""
    font = TTFont(source.path, fontNumber=source.subfont_index)
    options = subset.Options()
    options.hinting = False  # PDF viewers rasterise unhinted; halves the work
    options.layout_features = []  # reportlab does no shaping
    options.notdef_outline = True
    options.name_IDs = ["*"]
    # FFTM, FontForge's timestamps (WenQuanYi and other FontForge-built fonts): dropped by name, so that
    # fontTools does not print "FFTM NOT subset; don't know how to subset; dropped" at the user.
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    return font


def _add_forms(font: TTFont, characters: str) -> TTFont:
    """font with a glyph for every superscript and subscript of characters (its own plain glyph,
    scaled and shifted), and full-width digits and letters mapped to its ordinary ones.

    Drawing them as these characters, not as their plain forms, keeps the PDF's text layer the
    author's: ¹⁷⁷Lu copies out as ¹⁷⁷Lu, ２０２５ as ２０２５, while ２０２５ is still set in
    proportional digits as Chinese printers do. Superscripts the font has (¹²³) are redrawn too,
    so ¹⁷⁷ keeps one style.
    """
    cmap = font.getBestCmap()
    glyph_set, glyf, hmtx = font.getGlyphSet(), font["glyf"], font["hmtx"]
    vmtx = font["vmtx"] if "vmtx" in font else None
    upem = font["head"].unitsPerEm
    order = list(font.getGlyphOrder())
    mapped: dict[int, str] = {}
    for ch in characters:
        if ch in FULL_WIDTH_ALNUM:
            plain = unicodedata.normalize("NFKC", ch)
            if ord(plain) in cmap:
                mapped[ord(ch)] = cmap[ord(plain)]
            continue
        shifted = script_shift(ch)
        if shifted is None or ord(shifted[1]) not in cmap:
            continue
        route, plain = shifted
        base = cmap[ord(plain)]
        rise = (SUPER_RISE if route is Route.SUPER else SUB_RISE) * upem
        recorder = DecomposingRecordingPen(glyph_set)
        glyph_set[base].draw(recorder)
        pen = TTGlyphPen(None)
        recorder.replay(TransformPen(pen, (SUPER_SCALE, 0, 0, SUPER_SCALE, 0, rise)))
        name = f"uni{ord(ch):04X}.lp"
        glyph = pen.glyph()
        glyph.recalcBounds(glyf)
        glyf[name] = glyph
        hmtx[name] = (round(hmtx[base][0] * SUPER_SCALE), getattr(glyph, "xMin", 0))
        if vmtx is not None:
            vmtx[name] = vmtx[base]
        order.append(name)
        mapped[ord(ch)] = name
    if mapped:
        font.setGlyphOrder(order)
        for table in font["cmap"].tables:
            if table.isUnicode():
                table.cmap.update({c: n for c, n in mapped.items() if c <= 0xFFFF or table.format in (12, 13)})
    return font


def _instance(font: TTFont, weight: int) -> TTFont:
    """A static instance at weight (clamped to the axis); a static font comes back as it is."""
    axes = {a.axisTag: a for a in font["fvar"].axes} if "fvar" in font else {}
    if "wght" not in axes:
        return font
    axis = axes["wght"]
    location = {tag: a.defaultValue for tag, a in axes.items()}
    location["wght"] = min(max(weight, axis.minValue), axis.maxValue)
    return instancer.instantiateVariableFont(font, location, inplace=False, updateFontNames="STAT" in font)


def _rename(font: TTFont, style: str, family: str = "") -> None:
    """Name font as family (default: its own) in style: style, full and PostScript names."""
    name = font["name"]
    family = family or str(name.getDebugName(16) or name.getDebugName(1) or DEFAULT_FAMILY)
    postscript = family.replace(" ", "") + "-" + style
    for record_id, value in ((1, family), (2, style), (4, f"{family} {style}"), (6, postscript), (16, family), (17, style)):
        name.setName(value, record_id, 3, 1, 0x409)


def _save_atomic(font: TTFont, path: Path) -> None:
    """Save beside the target and rename, so a crash or a second process never sees half a font."""
    buffer = io.BytesIO()
    font.save(buffer)
    write_bytes_atomic(path, buffer.getvalue())


def _prune(folder: Path) -> None:
    """Drop the least recently used fonts beyond CACHE_MAX_FILES."""
    files = sorted(folder.glob("*.ttf"), key=lambda p: p.stat().st_mtime)
    for path in files[: max(0, len(files) - CACHE_MAX_FILES)]:
        path.unlink(missing_ok=True)


class _CubicRecorder(BasePen):
    """Records an outline as moveTo/lineTo/curveTo/closePath, quadratic curves made cubic."""

    def __init__(self, glyph_set: object) -> None:
        super().__init__(glyph_set)
        self.operations: list[tuple[str, tuple[float, ...]]] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.operations.append(("moveTo", pt))

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.operations.append(("lineTo", pt))

    def _curveToOne(self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]) -> None:
        self.operations.append(("curveTo", (*p1, *p2, *p3)))

    def _closePath(self) -> None:
        self.operations.append(("closePath", ()))


def outline(face: Face, text: str) -> tuple[list[tuple[str, tuple[float, ...]]], float]:
    """Glyph outlines of text set in face, in em units (1.0 = font size), and the advance width.

    For a watermark drawn as shapes: it stays out of the text layer, so copying text from a
    draft never picks up the word DRAFT.
    """
    font = _open(face)
    try:
        cmap, glyph_set = font.getBestCmap(), font.getGlyphSet()
        scale = 1.0 / font["head"].unitsPerEm
        recorder = _CubicRecorder(glyph_set)
        x = 0.0
        for ch in text:
            name = cmap.get(ord(ch), ".notdef")
            glyph_set[name].draw(TransformPen(recorder, (scale, 0, 0, scale, x, 0)))
            x += glyph_set[name].width * scale
        return recorder.operations, x
    finally:
        font.close()
