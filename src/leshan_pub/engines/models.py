"""Where a MarianMT model lives (a folder or the Hugging Face cache) and why it cannot be loaded; no torch needed."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

from ..errors import ModelUnavailableError
from . import DEFAULT_MODEL

# What a saved MarianMT folder must hold besides its weights.
FOLDER_FILES = ("config.json", "source.spm", "target.spm", "vocab.json")
WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_COMMIT = re.compile(r"[0-9a-f]{40}")
_TRUE = {"1", "on", "yes", "true"}


def has_hub() -> bool:
    """True when huggingface_hub is installed (it comes with transformers; the ctranslate2 extra lacks it)."""
    return importlib.util.find_spec("huggingface_hub") is not None


def hub_offline() -> bool:
    # Read at call time: huggingface_hub reads HF_HUB_OFFLINE once at import, before the CLI or a test sets it.
    env = (os.environ.get(name, "").strip().lower() for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    if any(value in _TRUE for value in env):
        return True
    if not has_hub():
        return False
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def download_hint(model: str) -> str:
    return (
        f"on a machine with network run `hf download {model}` (or pass --model DIR with a saved MarianMT folder)"
    )


def local_folder(model: str) -> Path | None:
    """The folder model names, or None for a hub id; raise ModelUnavailableError for a path that is not there."""
    path = Path(model).expanduser()
    if path.exists():
        return path
    if model.startswith((".", "/", "~")) or "\\" in model or model.count("/") > 1:
        raise ModelUnavailableError(
            f"cannot load model '{model}': no such folder; pass --model with a folder that holds a saved "
            f"MarianMT model, or a hub id such as {DEFAULT_MODEL}"
        )
    return None


def check_folder(model: str, folder: Path) -> None:
    if not folder.is_dir():
        raise ModelUnavailableError(f"cannot load model '{model}': it is a file; pass the folder that holds it")
    missing = [name for name in FOLDER_FILES if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append("model.safetensors (or pytorch_model.bin)")
    if missing:
        raise ModelUnavailableError(
            f"cannot load model '{model}': the folder lacks {', '.join(missing)}; save a MarianMT model there "
            "with model.save_pretrained(DIR) and tokenizer.save_pretrained(DIR)"
        )


def causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def unavailable(model: str, exc: BaseException, folder: Path | None) -> ModelUnavailableError:
    """One actionable line for a model that could not be loaded."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    kinds = {type(e) for e in causes(exc)}
    if folder is not None:
        return ModelUnavailableError(
            f"cannot load model '{model}': the folder does not hold a usable MarianMT model ({first_line}); "
            "save one with save_pretrained"
        )
    if not has_hub():
        return ModelUnavailableError(
            f"cannot load model '{model}': a hub id needs huggingface_hub, which is not installed; "
            "pip install 'leshan-pub[transformers]', or pass --model DIR with a saved MarianMT folder"
        )
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    if any(issubclass(k, GatedRepoError) for k in kinds):
        reason = "the hub model is gated; accept its terms on huggingface.co and log in with `hf auth login`"
    elif any(issubclass(k, RepositoryNotFoundError) for k in kinds):
        reason = "the hub has no model of that name (or it is private); check the name or pass --model DIR"
    elif hub_offline():
        reason = f"not in the local Hugging Face cache and HF_HUB_OFFLINE is set; {download_hint(model)}"
    elif any(issubclass(k, LocalEntryNotFoundError) for k in kinds):
        reason = f"not in the local Hugging Face cache and the hub is unreachable; {download_hint(model)}"
    else:
        reason = f"{first_line}; {download_hint(model)}"
    return ModelUnavailableError(f"cannot load model '{model}': {reason}")


def cached_folder(model: str) -> Path:
    """The folder that holds model: the local folder, or its snapshot in the Hugging Face cache (never downloaded)."""
    folder = local_folder(model)
    if folder is not None:
        return folder
    if not has_hub():
        raise unavailable(model, ModuleNotFoundError("huggingface_hub"), None)
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except (OSError, ValueError) as exc:
        raise unavailable(model, exc, None) from exc


def model_revision(model: str) -> str:
    """The commit hash of the loaded hub model (or of a cache snapshot folder); '' when unknown."""
    folder = Path(model).expanduser()
    if folder.exists():
        snapshot = folder.resolve()
        return snapshot.name if snapshot.parent.name == "snapshots" and _COMMIT.fullmatch(snapshot.name) else ""
    if not has_hub():
        return ""
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(model, "config.json")
    name = Path(cached).parent.name if isinstance(cached, str) else ""
    return name if _COMMIT.fullmatch(name) else ""
