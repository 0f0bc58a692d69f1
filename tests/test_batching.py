"""Length-sorted batches sized by segment count and a padded-token budget."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leshan_pub.engines.batching import token_batches


def test_batches_go_longest_first_and_hold_each_segment_once():
    lengths = [3, 10, 1, 7, 7, 2]
    batches = token_batches(lengths, max_segments=2)
    assert batches == [[1, 3], [4, 0], [5, 2]]


def test_token_budget_counts_the_padded_width_of_the_batch():
    # 4 x 10 = 40 fits a budget of 40; a fifth 10-token segment would need 50.
    lengths = [10] * 5 + [2] * 20
    batches = token_batches(lengths, max_segments=100, max_tokens=40)
    # The fifth long one pads three short ones to its width; the remaining 17 short ones fit in one batch.
    assert [len(b) for b in batches] == [4, 4, 17]
    for batch in batches:
        assert len(batch) * max(lengths[i] for i in batch) <= 40


def test_a_segment_longer_than_the_budget_gets_a_batch_of_its_own():
    assert token_batches([50, 5, 5], max_segments=8, max_tokens=20) == [[0], [1, 2]]


def test_no_segments_no_batches():
    assert token_batches([], max_segments=4, max_tokens=10) == []


@pytest.mark.parametrize(("segments", "tokens"), [(0, None), (1, 0)])
def test_limits_below_one_are_refused(segments, tokens):
    with pytest.raises(ValueError, match="at least 1"):
        token_batches([1, 2], max_segments=segments, max_tokens=tokens)


@given(
    st.lists(st.integers(min_value=0, max_value=300), max_size=60),
    st.integers(min_value=1, max_value=16),
    st.one_of(st.none(), st.integers(min_value=1, max_value=2000)),
)
def test_every_segment_lands_in_exactly_one_batch_within_the_limits(lengths, segments, tokens):
    batches = token_batches(lengths, segments, tokens)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert 1 <= len(batch) <= segments
        width = max(max(lengths[i] for i in batch), 1)
        assert tokens is None or len(batch) == 1 or len(batch) * width <= tokens
    widths = [lengths[i] for b in batches for i in b]
    assert widths == sorted(widths, reverse=True)
