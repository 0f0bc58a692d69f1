"""The moment a build happens: SOURCE_DATE_EPOCH when set (reproducible builds), else now, in UTC."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

from .errors import LeshanPubError

# reproducible-builds.org's variable: seconds since 1970-01-01 UTC, set by packagers and CI.
EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"


def build_moment(environ: Mapping[str, str] = os.environ) -> datetime:
    """SOURCE_DATE_EPOCH as an aware UTC datetime when set (and not blank), else the current time.

    LeshanPubError when it is set to anything but a whole number of seconds since 1970.
    """
    raw = environ.get(EPOCH_VARIABLE, "").strip()
    if not raw:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        seconds = int(raw)
        if seconds < 0:
            raise ValueError(raw)
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise LeshanPubError(
            f"{EPOCH_VARIABLE}={raw!r} is not a whole number of seconds since 1970-01-01 UTC; "
            f"set it to e.g. the last commit's time (git log -1 --format=%ct) or unset it"
        ) from None


def iso_day(moment: datetime) -> str:
    """The UTC calendar day of moment, 'YYYY-MM-DD'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def iso_seconds(moment: datetime) -> str:
    """moment in UTC as 'YYYY-MM-DDTHH:MM:SSZ', the form the segment file keeps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
