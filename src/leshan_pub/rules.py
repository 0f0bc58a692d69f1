"""Loading the rule files in leshan_pub/data (structure and segmentation rules are data, not code)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_rules(name: str) -> dict[str, Any]:
    """The parsed TOML rule file leshan_pub/data/<name>.toml."""
    text = resources.files("leshan_pub").joinpath("data", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
