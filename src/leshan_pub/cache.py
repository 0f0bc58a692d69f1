"""The user cache folder shared by prepared fonts and converted models."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "LESHAN_PUB_CACHE_DIR"


def user_cache_root() -> Path:
    """$LESHAN_PUB_CACHE_DIR when set, else the platform's user cache folder for leshan-pub."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir("leshan-pub"))
