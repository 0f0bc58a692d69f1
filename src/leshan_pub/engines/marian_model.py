"""Loading a MarianMT model for the transformers engine: the files, the device, its English-only output."""

from __future__ import annotations

import functools
import importlib.util
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, MarianMTModel, MarianTokenizer

from ..errors import EngineError, ModelUnavailableError
from .models import check_folder as _check_folder
from .models import hub_offline as _hub_offline
from .models import local_folder as _local_folder
from .models import unavailable as _unavailable
from .vocabularies import english_ids


def _from_pretrained(model: str, local_files_only: bool) -> tuple[Any, Any]:
    """Tokenizer and model; concrete Marian classes, so no repository code can ever run."""
    config = AutoConfig.from_pretrained(model, local_files_only=local_files_only, trust_remote_code=False)
    if config.model_type != "marian":
        raise ModelUnavailableError(
            f"cannot load model '{model}': it is a '{config.model_type}' model; "
            "the transformers engine runs MarianMT (opus-mt) models"
        )
    with warnings.catch_warnings():
        # MarianTokenizer never calls its Moses normaliser, so the advice to install sacremoses is noise.
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        tokenizer = MarianTokenizer.from_pretrained(model, local_files_only=local_files_only)
    # Safetensors are taken whenever the folder or repository has them (transformers' default preference).
    network = MarianMTModel.from_pretrained(model, config=config, local_files_only=local_files_only)
    return tokenizer, network


def load_marian(model: str) -> tuple[Any, Any]:
    """Load tokenizer and model from a folder or the hub; raise ModelUnavailableError with what to do."""
    folder = _local_folder(model)
    if folder is not None:
        _check_folder(model, folder)
    if importlib.util.find_spec("sentencepiece") is None:
        raise ModelUnavailableError(
            f"cannot load model '{model}': the sentencepiece package is missing; pip install 'leshan-pub[transformers]'"
        )
    source = str(folder) if folder is not None else model
    # The cache first: when the hub is unreachable every file would otherwise cost a round of retries.
    try:
        return _from_pretrained(source, local_files_only=True)
    except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as exc:
        if folder is not None or _hub_offline():
            raise _unavailable(model, exc, folder) from exc
    try:
        return _from_pretrained(source, local_files_only=False)
    except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as exc:
        raise _unavailable(model, exc, folder) from exc


def resolve_device(device: str) -> torch.device:
    """The torch device for an option value; raise EngineError for an unknown or unavailable one."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise EngineError(f"unknown device '{device}'; use auto, cpu or cuda (cuda:N)") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise EngineError(f"device '{device}' asked for, but torch sees no CUDA GPU; use --device auto or cpu")
    return resolved


@functools.cache
def cpu_computes_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU has bfloat16 instructions (AVX512-BF16 or AMX), with which torch's bfloat16
    matrix products ran at about twice float32's speed here; elsewhere bfloat16 is not assumed to pay."""
    try:
        flags = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: not measured, so not assumed
        return False
    return re.search(r"\b(?:avx512_bf16|amx_bf16)\b", flags) is not None


def write_english_only(model: Any, tokenizer: Any) -> list[int] | None:
    """Bar every id English is never written in (vocabularies.english_ids) from the model's output,
    through the bias each of its scores carries: its softmax is then over the English pieces alone,
    as ctranslate2's is under the vocabulary map that engine decodes with. Returns those ids (None
    where the model writes nothing else)."""
    ids = english_ids(tokenizer)
    if ids is None:
        return None
    bias = model.final_logits_bias  # [1, vocabulary], added to every score
    barred = torch.ones(bias.shape[-1], dtype=torch.bool, device=bias.device)
    barred[torch.tensor(ids, device=bias.device)] = False
    with torch.no_grad():
        bias[..., barred] = float("-inf")
    return ids
