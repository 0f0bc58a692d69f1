"""Length-sorted batches of segments, sized by a token budget, for every engine (no torch here)."""

from __future__ import annotations

from collections.abc import Sequence


def token_batches(lengths: Sequence[int], max_segments: int, max_tokens: int | None = None) -> list[list[int]]:
    """Indexes of the segments grouped into batches, longest first; [] when lengths is empty.

    A batch holds at most max_segments segments and, when max_tokens is given, at most max_tokens
    padded tokens (its longest segment's length times its size). A segment longer than max_tokens
    on its own still gets a batch of one. Sorting by length keeps padding small; callers put each
    result back at its own index, so the document's order is restored.
    """
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    # Stable: equal lengths keep document order, so runs are reproducible.
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        # The first member is the longest, so it fixes the padded width of the whole batch.
        width = max(1, lengths[current[0]] if current else lengths[index])
        too_many = len(current) >= max_segments
        too_wide = max_tokens is not None and (len(current) + 1) * width > max_tokens
        if current and (too_many or too_wide):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
