"""Progress of long work: one bar of the tool's own on a terminal, none when stderr is piped; the model
libraries' own bars and chatter kept off stderr."""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


def progress_bar(total: int, description: str, stream: TextIO | None = None) -> tqdm:
    """A bar counting total segments on stream (stderr), shown only when stream is a terminal and
    there is more than one step: a log or a pipe gets no carriage-return clutter."""
    stream = stream if stream is not None else sys.stderr
    shown = total > 1 and hasattr(stream, "isatty") and stream.isatty()
    return tqdm(total=total, unit="segment", desc=description, file=stream, disable=not shown, leave=False)


def quiet_model_libraries() -> None:
    """Silence transformers' and huggingface_hub's own progress bars ('Loading weights') and their
    logged warnings ('Token indices sequence length is longer ...'): what they would say about a
    segment, the tool says once, on the segment (a note) or in its report. Either may be absent: the
    ctranslate2 extra installs neither, and the engine that needs one names its extra when loaded."""
    try:
        from huggingface_hub.utils import disable_progress_bars
    except ModuleNotFoundError:
        pass
    else:
        disable_progress_bars()
    try:
        from transformers.utils import logging
    except ModuleNotFoundError:
        return
    logging.disable_progress_bar()
    logging.set_verbosity_error()
