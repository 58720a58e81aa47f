"""The audit hash chain (DOMAIN MLPS-5, NAT-17, WF-6): any change, removal or reordering shows."""

import datetime as dt
import hashlib
import uuid
from zoneinfo import ZoneInfo

import pytest

from onetrip.common.audit_chain import (
    GENESIS,
    ChainReport,
    canonical_bytes,
    record_hash,
    verify_chain,
)


def build_chain(n):
    prev = GENESIS
    chain = []
    for sequence in range(1, n + 1):
        record = {"sequence": sequence, "action": "declaration.verify", "prev_hash": prev}
        digest = record_hash(prev, record)
        chain.append((record, digest))
        prev = digest
    return chain


def test_canonical_bytes_sort_keys_and_keep_chinese_unescaped():
    assert canonical_bytes({"b": 1, "a": "核查"}) == '{"a":"核查","b":1}'.encode()


def test_canonical_bytes_write_the_same_instant_identically_in_any_time_zone():
    utc = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
    shanghai = utc.astimezone(ZoneInfo("Asia/Shanghai"))
    assert canonical_bytes({"at": utc}) == canonical_bytes({"at": shanghai})
    assert canonical_bytes({"at": utc}) == b'{"at":"2025-03-01T02:00:00.000000+00:00"}'


def test_canonical_bytes_accept_dates_and_uuids_and_refuse_other_objects():
    key = uuid.UUID(int=1)
    assert canonical_bytes({"d": dt.date(2025, 1, 2), "u": key}) == (
        b'{"d":"2025-01-02","u":"00000000-0000-0000-0000-000000000001"}'
    )
    with pytest.raises(TypeError):
        canonical_bytes({"x": object()})
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("nan")})


def test_record_hash_is_sha256_of_prev_hash_then_canonical_bytes():
    record = {"sequence": 1, "actor": "张警官"}
    expected = hashlib.sha256(GENESIS.encode() + canonical_bytes(record)).hexdigest()
    assert record_hash(GENESIS, record) == expected
    assert record_hash(GENESIS, {"actor": "张警官", "sequence": 1}) == expected


def test_record_hash_depends_on_the_previous_hash():
    record = {"sequence": 2}
    assert record_hash(GENESIS, record) != record_hash("f" * 64, record)


@pytest.mark.parametrize("prev", ["", "0" * 63, "G" * 64, "F" * 64])
def test_record_hash_refuses_a_malformed_previous_hash(prev):
    with pytest.raises(ValueError):
        record_hash(prev, {})


def test_genesis_is_64_zeros():
    assert GENESIS == "0" * 64


def test_an_intact_chain_verifies():
    chain = build_chain(5)
    report = verify_chain(chain)
    assert report == ChainReport(ok=True, checked=5, last_sequence=5, last_hash=chain[-1][1])


def test_an_empty_chain_verifies():
    assert verify_chain([]) == ChainReport(ok=True, checked=0)


def test_a_changed_record_is_reported_at_its_sequence():
    chain = build_chain(5)
    chain[2][0]["action"] = "declaration.return"
    report = verify_chain(chain)
    assert not report.ok
    assert report.first_bad_sequence == 3
    assert report.checked == 2
    assert "hash mismatch" in report.reason
    assert report.last_sequence == 2
    assert report.last_hash == chain[1][1]


def test_a_changed_stored_hash_is_reported():
    chain = build_chain(3)
    chain[1] = (chain[1][0], "a" * 64)
    report = verify_chain(chain)
    assert report.first_bad_sequence == 2


def test_a_removed_record_is_reported_as_a_gap():
    chain = build_chain(5)
    del chain[2]
    report = verify_chain(chain)
    assert not report.ok
    assert report.first_bad_sequence == 3
    assert "gap" in report.reason
    assert "3 missing before 4" in report.reason


def test_several_removed_records_are_reported_as_a_range():
    chain = build_chain(6)
    del chain[1:4]
    report = verify_chain(chain)
    assert report.first_bad_sequence == 2
    assert "2–4 missing" in report.reason


def test_a_removed_first_record_is_reported():
    report = verify_chain(build_chain(3)[1:])
    assert report.first_bad_sequence == 1


def test_reordered_records_are_reported():
    chain = build_chain(3)
    chain[1], chain[2] = chain[2], chain[1]
    report = verify_chain(chain)
    assert report.first_bad_sequence == 2
    assert "gap" in report.reason


def test_a_duplicated_sequence_is_reported_out_of_order():
    chain = build_chain(3)
    chain.insert(2, chain[1])
    report = verify_chain(chain)
    assert report.first_bad_sequence == 3
    assert "out of order" in report.reason


def test_a_record_rehashed_on_a_forged_link_is_reported_as_a_broken_link():
    chain = build_chain(3)
    forged = {"sequence": 2, "action": "declaration.verify", "prev_hash": "e" * 64}
    chain[1] = (forged, record_hash("e" * 64, forged))
    report = verify_chain(chain)
    assert report.first_bad_sequence == 2
    assert "broken link" in report.reason


def test_records_without_sequence_are_checked_by_position():
    prev, chain = GENESIS, []
    for n in range(3):
        record = {"n": n}
        prev = record_hash(prev, record)
        chain.append((record, prev))
    assert verify_chain(chain).ok
    chain[1][0]["n"] = 9
    assert verify_chain(chain).first_bad_sequence == 2


def test_a_non_integer_sequence_is_reported():
    report = verify_chain([({"sequence": "1"}, GENESIS)])
    assert report.first_bad_sequence == 1
    assert "not an integer" in report.reason


def test_an_unhashable_record_is_reported_not_raised():
    report = verify_chain([({"sequence": 1, "x": object()}, GENESIS)])
    assert report.first_bad_sequence == 1
    assert "cannot be hashed" in report.reason


def test_verify_chain_consumes_a_generator_lazily_and_stops_at_the_first_bad_record():
    chain = build_chain(4)
    chain[1][0]["action"] = "x"
    seen = []

    def rows():
        for item in chain:
            seen.append(item[0]["sequence"])
            yield item

    assert verify_chain(rows()).first_bad_sequence == 2
    assert seen == [1, 2]
