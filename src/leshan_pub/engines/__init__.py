"""Translation engines: the Engine protocol, its options and results, and one lazy registry."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..document import TermRecord
from ..errors import EngineError
from ..quality.enforce import TermMiss
from ..script import MODEL_SCRIPT_DEFAULT, MODEL_SCRIPTS, to_model_script
from ..terms import Term

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-zh-en"


@dataclass(frozen=True)
class EngineOptions:
    """Settings an engine is built with; every one of them may change the English."""

    model: str = DEFAULT_MODEL  # hub id or local folder
    device: str = "auto"  # auto -> cuda when available, else cpu
    batch_size: int = 16  # most segments in one batch
    batch_tokens: int | None = None  # most padded source tokens in one batch; None -> no token limit
    num_beams: int = 4
    max_new_tokens: int | None = None  # None -> derived from source length and terms
    progress: bool = True  # tqdm bar on stderr when there is more than one batch
    # transformers: auto|float32|float16|bfloat16 (auto -> float32: on a GPU generate() is bound by
    # launch overhead, and half precision measured slower there; on a CPU with bfloat16 instructions
    # auto reads placement in bfloat16, and bfloat16 decodes in it too); ctranslate2: auto|int8|float32|
    # float16|int8_float16 (auto -> int8 on the CPU, float16 on CUDA).
    precision: str = "auto"
    compile: bool = False  # transformers on CUDA: static KV cache and torch.compile'd decoding steps
    # How a draft that misses a term is mended: "splice" puts the term in place of the model's own
    # rendering of it (or the words aligned to its Chinese); "continue" also decodes again after
    # the term, which costs about one more decode of every mended segment.
    term_repair: str = "splice"
    # Where a term goes whose rendering (the model's own, for the term alone or learned from its drafts
    # of the other sentences) is not in the draft:
    # "owed": the words whose logits fall most without the term's Chinese (one more teacher-forced
    # read of the draft per such term); "attention": the words the cross-attention aligns to it;
    # "judgement": the term forced after every word boundary, the model writing the rest of the
    # sentence after it at each, the whole sentence it scores best kept (engines/judgement.py).
    placement: str = "owed"
    # The script the model reads the Chinese in (model_sources): "zh-Hans" converts traditional input to
    # simplified first, phrase by phrase; "as-written" feeds the author's text. The segment file and the
    # publications keep the author's text either way.
    model_script: str = MODEL_SCRIPT_DEFAULT


REPAIRS = ("continue", "splice")
PLACEMENTS = ("attention", "judgement", "owed")


@dataclass
class RepairCounts:
    """How many segments each step of enforcement handled (the benchmark prints these)."""

    segments: int = 0
    repaired: int = 0  # missed a term (or wrote a forbidden rendering) in the model's own decoding
    redecoded: int = 0  # decoded again after the placed terms
    fallback: int = 0  # still missed one after the repair, so constrained decoding wrote them


@dataclass
class Translation:
    """One segment's English, the glossary terms enforcement could not place (each with why), and notes for review.

    fallback_used is True when a term had to be placed by the last resort (the model wanted to stop,
    or the length budget only just held the terms) rather than where the model translates its source.
    """

    text: str
    missing: list[Term] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    misses: list[TermMiss] = field(default_factory=list)  # one per entry of missing, in the same order
    fallback_used: bool = False
    terms: tuple[TermRecord, ...] = ()  # how each term occurrence went in, in source order; () when none


class Engine(Protocol):
    """A loaded translation model that renders Chinese segments in English under glossary terms."""

    name: str
    model_id: str
    model_revision: str  # commit hash when known, else ""

    def translate(self, sources: Sequence[str], terms: Sequence[Sequence[Term]]) -> list[Translation]:
        """One Translation per source, in order; terms[i] lists the terms of sources[i], repeated per occurrence."""
        ...

    def check_terms(self, terms: Sequence[Term]) -> list[tuple[Term, str]]:
        """(term, reason) for each term the model cannot spell; [] when it can spell them all."""
        ...

    def signature_settings(self) -> dict[str, str]:
        """Every decoding setting that can change the English, as short key -> value pairs in a fixed
        order, for the provenance signature (e.g. {"beams": "4", "maxlen": "auto", "enf": "1"})."""
        ...


# Name -> "module:callable" taking EngineOptions, imported only when asked for, so that `--help`
# and every command that does not translate never pull in torch, transformers or ctranslate2.
ENGINES: dict[str, str] = {
    "ctranslate2": "leshan_pub.engines.ctranslate2:load_ctranslate2",
    "transformers": "leshan_pub.engines.marian:MarianEngine",
}


# A package an engine imports -> the extra that installs it. torch and transformers come with
# [transformers]; ctranslate2 with [ctranslate2]; SentencePiece with either (None: the engine's own).
ENGINE_PACKAGES: dict[str, str | None] = {
    "torch": "transformers", "transformers": "transformers", "ctranslate2": "ctranslate2",
    "sentencepiece": None, "tqdm": None,
}


def engine_names() -> list[str]:
    """The registered engine names, sorted (for CLI choices and messages)."""
    return sorted(ENGINES)


def load_engine(name: str, options: EngineOptions) -> Engine:
    """Import and build the engine registered as name; raise EngineError for an unknown name."""
    target = ENGINES.get(name)
    if target is None:
        raise EngineError(f"unknown engine '{name}'; choose one of: {', '.join(engine_names())}")
    module_name, factory_name = target.split(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
        return factory(options)
    except ModuleNotFoundError as exc:
        missing = missing_extra(name, exc)
        if missing is None:
            raise
        raise EngineError(missing) from None


# The packages each engine cannot start without, found (not imported) before a command writes anything.
ENGINE_NEEDS: dict[str, tuple[str, ...]] = {"transformers": ("torch", "transformers"), "ctranslate2": ("ctranslate2",)}


def missing_engine(name: str) -> str | None:
    """The one-line 'install the extra' message when a package the named engine needs is not installed,
    else None (an unknown name is load_engine's to refuse). Looks the packages up without importing them."""
    import importlib.util

    for package in ENGINE_NEEDS.get(name, ()):
        try:
            found = importlib.util.find_spec(package) is not None
        except (ImportError, ValueError):  # a package blocked or broken reads as absent
            found = False
        if not found:
            return missing_extra(name, ModuleNotFoundError(name=package))
    return None


def missing_extra(engine: str, exc: ModuleNotFoundError) -> str | None:
    """The one-line message naming the extra to install when exc is an engine package not installed, else None."""
    package = (exc.name or "").partition(".")[0]
    if package not in ENGINE_PACKAGES:
        return None
    extra = ENGINE_PACKAGES[package] or engine
    return (f"the {engine} engine needs {package}, which is not installed; "
            f"pip install 'leshan-pub[{extra}]' (or 'leshan-pub[all]' for both engines)")


def model_sources(sources: Sequence[str], options: EngineOptions) -> list[str]:
    """sources as the model reads them: each converted to options.model_script (script.to_model_script).

    Both engines translate, and repair against, these instead of the author's text; the span finders
    (quality.enforce.term_spans) fold scripts, so a glossary term found in the author's text is found
    in them too. Only the English depends on them: the segment file keeps the source as written.
    """
    return [to_model_script(source, options.model_script) for source in sources]


def check_options(options: EngineOptions) -> None:
    """Raise EngineError for an option no engine can run with (a count below 1, an unknown name)."""
    for name in ("batch_size", "num_beams"):
        if getattr(options, name) < 1:
            raise EngineError(f"{name} must be at least 1, got {getattr(options, name)}")
    if options.batch_tokens is not None and options.batch_tokens < 1:
        raise EngineError(f"batch_tokens must be at least 1 (or None for no token limit), got {options.batch_tokens}")
    if options.term_repair not in REPAIRS:
        raise EngineError(f"term_repair must be one of {', '.join(REPAIRS)}, got '{options.term_repair}'")
    if options.placement not in PLACEMENTS:
        raise EngineError(f"placement must be one of {', '.join(PLACEMENTS)}, got '{options.placement}'")
    if options.model_script not in MODEL_SCRIPTS:
        raise EngineError(f"model_script must be one of {', '.join(MODEL_SCRIPTS)}, got '{options.model_script}'")
    if options.max_new_tokens is not None and options.max_new_tokens < 2:
        raise EngineError(f"max_new_tokens must be at least 2 (or None to derive it), got {options.max_new_tokens}")
