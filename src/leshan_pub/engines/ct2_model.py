"""The CTranslate2 engine's model: converted once from the MarianMT model, cached by its identity, and loaded."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import ctranslate2

from ..atomic import write_bytes_atomic
from ..cache import user_cache_root
from ..errors import EngineError, ModelUnavailableError
from .marian_tokenizer import MarianSentencePieceTokenizer
from .models import cached_folder, local_folder, model_revision, unavailable
from .vocabularies import english_ids

# --precision for this engine -> compute type, per device; the model is converted to that type once.
_AUTO_COMPUTE = {"cpu": "int8", "cuda": "float16"}
_COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float32", "float16", "bfloat16")
# Files of a model folder that say nothing about its weights or vocabulary (left out of its identity).
_IGNORED = {".gitattributes", "README.md", ".cache"}
# Where CTranslate2 reads a converted model's vocabulary map (the target tokens it may decode among).
_VOCABULARY_MAP = "vmap.txt"


def warn(message: str) -> None:
    """Print message to stderr as a leshan-pub warning, one line."""
    print(f"leshan-pub: warning: {message}", file=sys.stderr)


class CudaUnusable(Exception):
    """CTranslate2 sees no CUDA device or cannot load its CUDA libraries."""


def resolve_device(option: str) -> tuple[str, int]:
    """(ctranslate2 device, device index) for a --device value; raise EngineError for an unknown one."""
    if option == "auto":
        return ("cuda", 0) if ctranslate2.get_cuda_device_count() > 0 else ("cpu", 0)
    name, _, number = option.partition(":")
    if name == "cpu" and not number:
        return "cpu", 0
    if name == "cuda" and (not number or number.isdigit()):
        return "cuda", int(number or 0)
    raise EngineError(f"unknown device '{option}'; use auto, cpu or cuda (cuda:N)")


def compute_type_for(precision: str, device: str) -> str:
    """The compute type for --precision on device; raise EngineError for one ctranslate2 cannot run there."""
    compute_type = _AUTO_COMPUTE[device] if precision == "auto" else precision
    if compute_type not in _COMPUTE_TYPES:
        raise EngineError(
            f"precision '{precision}' is not one ctranslate2 runs; use auto or one of {', '.join(_COMPUTE_TYPES)}"
        )
    supported = ctranslate2.get_supported_compute_types(device)
    if compute_type not in supported:
        raise EngineError(
            f"precision '{compute_type}' is not supported on this {device}; use one of {', '.join(sorted(supported))}"
        )
    return compute_type


# --- the converted model, cached by the model's identity and the compute type -----------------------


def model_identity(model: str) -> str:
    """What the converted model depends on: the hub id and its commit, or a hash of the folder's files."""
    folder = local_folder(model)
    if folder is None:
        revision = model_revision(model)
        return f"hub:{model}@{revision}" if revision else ""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.resolve().rglob("*") if p.is_file() and not _ignored(p, folder)):
        digest.update(str(path.relative_to(folder.resolve())).encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return f"folder:{digest.hexdigest()}"


def _ignored(path: Path, folder: Path) -> bool:
    return any(part in _IGNORED for part in path.relative_to(folder.resolve()).parts)


def converted_folder(identity: str, compute_type: str, cache_root: Path | None = None) -> Path:
    """Where the model of that identity, converted for compute_type, lives in the cache."""
    key = hashlib.sha256(f"{identity}|{compute_type}|ctranslate2 {ctranslate2.__version__}".encode()).hexdigest()
    return (cache_root or user_cache_root()) / "ctranslate2" / f"{compute_type}-{key[:24]}"


def _all_heads_converter(source: str) -> Any:
    """A converter of the Marian model at source; made here because ctranslate2's converters import torch
    (conversion loads the model the transformers way), which decoding a converted model does not need."""

    class _AllHeadsConverter(ctranslate2.converters.TransformersConverter):
        """Returns the cross-attention averaged over every head of the last layer (CTranslate2 takes one by
        default): an opus-mt model was not trained with an alignment head, and the average aligns better."""

        def _load(self):  # type: ignore[no-untyped-def]
            import numpy as np

            spec = super()._load()
            spec.decoder.alignment_heads = np.dtype("int16").type(spec.decoder.num_heads)
            return spec

    return _AllHeadsConverter(source)


def convert(source: str, target: Path, compute_type: str) -> None:
    """Convert the Marian model at source (folder or cached hub id) into target, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            _all_heads_converter(source).convert(str(scratch / "model"), quantization=compute_type, force=True)
        try:
            (scratch / "model").rename(target)
        except OSError:
            if not (target / "model.bin").is_file():  # not another process converting the same model
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_vocabulary_map(folder: Path, tokenizer: Any) -> bool:
    """Give the converted model a vocabulary map (if it lacks one) whose line for the empty n-gram, the
    tokens always allowed, lists the pieces English is written in (vocabularies.english_ids):
    CTranslate2 then scores only those at each step, as the transformers engine does
    (marian_model.write_english_only). opus-mt-zh-en's Chinese pieces are about half its vocabulary,
    and projecting onto the whole of it is the largest single cost of a decoding step. True when the
    model has the map."""
    ids = english_ids(tokenizer)
    if ids is None:
        return False
    path = folder / _VOCABULARY_MAP
    if not path.is_file():
        pieces = [p for p in tokenizer.convert_ids_to_tokens(ids) if p and not any(c.isspace() for c in p)]
        try:
            write_bytes_atomic(path, ("\t" + " ".join(pieces) + "\n").encode("utf-8"))
        except OSError as exc:  # a cache converted before the map, now read-only
            warn(f"cannot write {path} ({exc.strerror or exc}); ctranslate2 decodes over the whole vocabulary, "
                 "more slowly; delete the folder to convert the model again")
            return False
    return True


def source_folder(model: str) -> str:
    """The folder from_pretrained reads model from (the local folder, or the hub cache snapshot)."""
    return str(cached_folder(model))


def load_tokenizer(model: str) -> Any:
    """The model's tokenizer, read with sentencepiece from its folder or the hub cache (the model itself is
    already converted): transformers' MarianTokenizer gives the same ids (tests/test_marian_tokenizer.py),
    and neither transformers nor torch need be installed."""
    folder = cached_folder(model)
    try:
        return MarianSentencePieceTokenizer(folder)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise unavailable(model, exc, local_folder(model)) from exc


def max_positions(model: str) -> int:
    """The model's max_position_embeddings, from its config.json."""
    path = cached_folder(model) / "config.json"
    try:
        with path.open(encoding="utf-8") as handle:
            return int(json.load(handle)["max_position_embeddings"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise unavailable(model, exc, local_folder(model)) from exc


def cpu_workers(threads: int) -> tuple[int, int]:
    """(inter_threads, intra_threads) for CTranslate2 on a CPU of that many threads: two batches decoded
    at once, each on half the threads. Measured on 2 cores at beam 4 (opus-mt's shape): one batch on
    both threads kept 1.6 cores busy and spent a third more CPU time than two batches of half the
    size on one thread each, which kept 2.0 busy and gave 1.5-1.7 times the tokens/s, the same English.
    More than 2 cores is not measured; they are shared out the same way."""
    inter = 2 if threads >= 2 else 1
    return inter, max(1, threads // inter)


def load_translator(folder: Path, device: str, index: int, compute_type: str) -> tuple[Any, int]:
    """The CTranslate2 translator for the converted model, and how many batches it decodes at once."""
    torch = sys.modules.get("torch")  # the fallback engine's, when loaded in this process

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    inter, intra = cpu_workers(threads) if device == "cpu" else (1, 0)
    torch_threads = torch.get_num_threads() if torch is not None else 0
    try:
        translator = ctranslate2.Translator(
            str(folder), device=device, device_index=index, compute_type=compute_type,
            inter_threads=inter, intra_threads=intra,
        )
        # Making it sets the process's OpenMP threads to intra_threads, torch's too: with one thread per
        # worker, torch then ran on 1 of 2 cores (0.6 of its speed). Its workers keep their own setting.
        if torch is not None:
            torch.set_num_threads(torch_threads)
        return translator, inter
    except RuntimeError as exc:
        if device == "cuda":
            raise CudaUnusable(str(exc).splitlines()[0]) from exc
        raise ModelUnavailableError(
            f"cannot load the converted model in {folder}: {str(exc).splitlines()[0]}; delete that folder to convert again"
        ) from exc
