"""Order numbers: a sequence past the existing (seeded) numbers; never handed out twice."""

from __future__ import annotations

import pytest

from orders import numbering
from tests.factories import OrderFactory


def test_the_sequence_moves_past_existing_numbers_and_never_back(db):
    OrderFactory(number="SO-0004711")
    OrderFactory(number="LEGACY-9")

    assert numbering.sync_order_number_sequence() >= 4711
    first = numbering.next_order_number()
    assert int(first[3:]) > 4711
    numbering.sync_order_number_sequence()  # nothing higher: it stays
    assert int(numbering.next_order_number()[3:]) == int(first[3:]) + 1


def test_the_format(db):
    assert numbering.format_number(42) == "SO-0000042"


@pytest.mark.smoke
def test_numbers_are_unique_in_a_row(db):
    numbers = [numbering.next_order_number() for _ in range(20)]
    assert len(set(numbers)) == 20
