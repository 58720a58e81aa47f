"""A sender picks how many messages fit in a file from their payloads before it builds the
batch, so large bulk messages are not built at many times the limit and halved."""

from __future__ import annotations

from types import SimpleNamespace

from onetrip.ferry.agent.sender import ENVELOPE_ALLOWANCE, _payloads_within


def rows(*sizes: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(payload={"text": "x" * size}) for size in sizes]


def test_large_payloads_are_cut_to_what_fits_in_one_file():
    picked = _payloads_within(rows(*[300_000] * 50), 1_000_000)  # type: ignore[arg-type]
    assert len(picked) == 3


def test_small_payloads_all_fit():
    many = rows(*[100] * 500)
    assert _payloads_within(many, 16 * 1024 * 1024) == many  # type: ignore[arg-type]


def test_one_message_over_the_limit_still_goes_alone_to_the_exact_check():
    picked = _payloads_within(rows(2_000_000, 10), 1_000_000)  # type: ignore[arg-type]
    assert len(picked) == 1


def test_the_envelope_allowance_counts_for_every_message():
    limit = 10 * (ENVELOPE_ALLOWANCE + 20)
    picked = _payloads_within(rows(*[1] * 50), limit)  # type: ignore[arg-type]
    assert len(picked) == 10
