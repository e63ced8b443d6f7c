"""One page's reading: what a page asks for several times is computed once inside it."""
from __future__ import annotations

from kb.reading import one_reading, read_once


def test_a_value_is_computed_once_per_reading_and_afresh_outside():
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    with one_reading():
        assert [read_once("x", compute) for _ in range(3)] == [1, 1, 1]
        with one_reading():  # a page built from another's parts shares the outer reading
            assert read_once("x", compute) == 1
    assert read_once("x", compute) == 2 and read_once("x", compute) == 3
    with one_reading():
        assert read_once("x", compute) == 4  # a new reading sees what changed since
