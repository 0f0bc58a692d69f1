"""Simplified or traditional Chinese: detect an article's script and fold text to one script for matching.

OpenCC (the `opencc` package, the project's own C++ library and dictionaries) does the conversion,
imported on first use so that `leshan-pub --help` does not load it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from .errors import InputError


class Script(StrEnum):
    """The script an article is written in, as a BCP 47 script subtag, or mixed."""

    HANS = "zh-Hans"
    HANT = "zh-Hant"
    MIXED = "mixed"

    @property
    def language_tag(self) -> str:
        """The language code CAT tools expect in XLIFF source-language: zh-TW for traditional, else zh-CN."""
        return "zh-TW" if self is Script.HANT else "zh-CN"


AUTO = "auto"
SCRIPT_CHOICES = (AUTO, Script.HANS.value, Script.HANT.value)  # what a user may force (settings: source_script)
# Share of script-specific characters the minority script may have before an article counts as
# mixed: a traditional article still holds a few characters s2t would change (台, 后, 里 are
# traditional too), and a simplified one a few t2s would change (乾 in 乾隆).
MIXED_SHARE = 0.2
FOLD_CHAIN = ("hk2t", "tw2t", "t2s")
# The script a model is fed (settings: model_script, an engine option): zh-Hans converts traditional
# input to simplified before the model reads it (the trained proxies read traditional badly:
# docs/placement.md measures it); as-written feeds the author's text.
AS_WRITTEN = "as-written"
MODEL_SCRIPT_DEFAULT = Script.HANS.value
MODEL_SCRIPTS = (MODEL_SCRIPT_DEFAULT, AS_WRITTEN)
TO_TRADITIONAL = ("s2t", "s2tw", "s2hk")  # OpenCC's, Taiwan's and Hong Kong's standard  # regional variants to OpenCC's traditional, then to simplified


@dataclass(frozen=True)
class ScriptReport:
    """What detection found: the script, and how many characters only one script writes so."""

    script: Script
    simplified: int  # characters that every simplified-to-traditional conversion changes
    traditional: int  # characters that traditional-to-simplified conversion changes

    def describe(self) -> str:
        """'zh-Hant (412 traditional, 3 simplified characters)'."""
        return f"{self.script} ({self.traditional} traditional, {self.simplified} simplified characters)"


@lru_cache(maxsize=None)  # a handful of configs (FOLD_CHAIN, TO_TRADITIONAL): a smaller cache reloads dictionaries in turn
def _converter(config: str) -> Callable[[str], str]:
    try:
        import opencc
    except ImportError:
        raise InputError(
            "simplified/traditional Chinese needs the opencc package: run `pip install opencc`"
        ) from None
    return opencc.OpenCC(f"{config}.json").convert


def _is_han(ch: str) -> bool:
    # Only ideographs change between scripts; skipping the rest keeps the converter's work small.
    return ch >= "\u2e80"


_T2S_CHARS: dict[str, str] = {}


def to_simplified(text: str) -> tuple[str, list[int]]:
    """text converted character by character to simplified (OpenCC t2s), and for each output
    character the offset of the character it came from.

    Character by character, not phrase by phrase, so a term converts the same alone and inside a
    sentence, and offsets map straight back to the author's text. One-to-many cases all fold to
    one form (臺, 台, 颱, 檯 -> 台; 乾, 幹 -> 干), which is what matching across scripts needs;
    so do regional variants (衞, 衛 -> 卫).
    """
    new = sorted({ch for ch in text if _is_han(ch) and ch not in _T2S_CHARS})
    if new:
        # One call per converter for all new characters; line ends keep OpenCC from joining them
        # into phrases. Hong Kong and Taiwan variants (衞, 裡, 啟) go to OpenCC's standard first.
        joined = "\n".join(new)
        for config in FOLD_CHAIN:
            joined = _converter(config)(joined)
        converted = joined.split("\n")
        for ch, out in zip(new, converted, strict=True):
            _T2S_CHARS[ch] = out or ch
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _T2S_CHARS.get(ch, ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def to_model_script(text: str, model_script: str = MODEL_SCRIPT_DEFAULT) -> str:
    """text as a model is fed it (the setting model_script): for zh-Hans, text that reads as traditional
    or mixed (detect_script) converted phrase by phrase to simplified; for as-written, or text that
    reads as simplified, text itself.

    Phrase by phrase (OpenCC hk2t, tw2t, then t2s, on the whole text), unlike to_simplified: a model reads
    words, and OpenCC's phrases keep what character folding loses (乾隆 stays 乾隆, 瞭解 becomes 了解,
    著稱 stays 著称). Simplified text is left alone because t2s changes some of its characters too
    (显著 -> 显着). Offsets are not kept: only the model reads this; the author's text stays as written.
    """
    if model_script == AS_WRITTEN or not any(_is_han(ch) for ch in text):
        return text
    converted = text
    for config in FOLD_CHAIN:
        converted = _converter(config)(converted)
    if converted == text or detect_script(text).script is Script.HANS:
        return text
    return converted


def _changed(text: str, configs: tuple[str, ...]) -> int:
    """How many characters of text every one of the conversions changes.

    Phrase by phrase, so 乾隆 stays 乾隆; a character only counts when every conversion changes
    it, so 台, which Hong Kong's standard writes too, is no evidence of simplified text.
    """
    changed: set[int] | None = None
    for config in configs:
        convert = _converter(config)
        converted = convert(text)
        if len(converted) == len(text):
            here = {i for i, (a, b) in enumerate(zip(text, converted)) if a != b}
        else:  # a phrase of another length: fall back to character by character
            here = {i for i, ch in enumerate(text) if _is_han(ch) and convert(ch) != ch}
        changed = here if changed is None else changed & here
    return len(changed or ())


def detect_script(text: str) -> ScriptReport:
    """The script of text: zh-Hant when traditional-only characters dominate, zh-Hans when simplified
    ones do (or when nothing tells them apart), mixed when the minority holds MIXED_SHARE or more."""
    simplified, traditional = _changed(text, TO_TRADITIONAL), _changed(text, ("t2s",))
    total = simplified + traditional
    if total == 0 or traditional <= total * MIXED_SHARE:
        script = Script.HANS
    elif simplified <= total * MIXED_SHARE:
        script = Script.HANT
    else:
        script = Script.MIXED
    return ScriptReport(script, simplified, traditional)


def resolve_script(text: str, choice: str = AUTO) -> ScriptReport:
    """detect_script(text), or the script the user forced (choice zh-Hans or zh-Hant); InputError otherwise."""
    if choice not in SCRIPT_CHOICES:
        raise InputError(f"source script {choice!r} is not known; use one of {', '.join(SCRIPT_CHOICES)}")
    report = detect_script(text)
    if choice == AUTO:
        return report
    return ScriptReport(Script(choice), report.simplified, report.traditional)


def script_of(language_tag: str, recorded: str = "") -> Script:
    """The script a segment file records (lp:script), else the one its source-language implies."""
    if recorded in Script.__members__.values():
        return Script(recorded)
    tag = language_tag.lower()
    return Script.HANT if tag in ("zh-tw", "zh-hk", "zh-mo") or tag.startswith("zh-hant") else Script.HANS
