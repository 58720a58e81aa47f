"""The audit hash chain (DOMAIN MLPS-5, NAT-17, WF-6): any change, removal or reordering shows.

The unkeyed tests below are the legacy chain (records without a key id); the keyed chain and the
anchors follow them.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from zoneinfo import ZoneInfo

import pytest

from onetrip.common.audit_chain import (
    GENESIS,
    AnchorError,
    AuditKeyError,
    ChainReport,
    Checkpoint,
    anchor_line,
    canonical_bytes,
    keyed_record_hash,
    line_digest,
    parse_anchor_line,
    parse_keys,
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
    assert report == ChainReport(
        ok=True, checked=5, last_sequence=5, last_hash=chain[-1][1], legacy_through=5
    )


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


# The keyed chain ------------------------------------------------------------------------------

KEY = bytes(range(32))
OLD_KEY = bytes(range(1, 33))
KEYS = {"k2": KEY, "k1": OLD_KEY}


def build_keyed_chain(n, *, key_id="k2", prev=GENESIS, first=1):
    chain = []
    for sequence in range(first, first + n):
        record = {"sequence": sequence, "action": "declaration.verify", "prev_hash": prev}
        record["key_id"] = key_id
        digest = keyed_record_hash(prev, record, KEYS[key_id])
        chain.append((record, digest))
        prev = digest
    return chain


def test_parse_keys_keeps_the_newest_first_and_accepts_commas_or_lines():
    b64 = base64.b64encode(KEY).decode()
    old = base64.b64encode(OLD_KEY).decode()
    assert list(parse_keys(f"k2:{b64}, k1:{old}")) == ["k2", "k1"]
    assert parse_keys(f"k2:{b64}\nk1:{old}\n") == {"k2": KEY, "k1": OLD_KEY}


@pytest.mark.parametrize(
    "spec",
    [
        "",
        " , ",
        f"k1:{base64.b64encode(b'short').decode()}",
        "k1:not base64!",
        f":{base64.b64encode(KEY).decode()}",
        f"sha256-legacy:{base64.b64encode(KEY).decode()}",
        f"a b:{base64.b64encode(KEY).decode()}",
        f"k1:{base64.b64encode(KEY).decode()},k1:{base64.b64encode(OLD_KEY).decode()}",
    ],
    ids=["empty", "blank", "short", "bad-base64", "no-id", "reserved-id", "bad-id", "twice"],
)
def test_parse_keys_refuses_a_missing_weak_or_ambiguous_key(spec):
    with pytest.raises(AuditKeyError):
        parse_keys(spec)


def test_the_keyed_hash_is_an_hmac_that_no_one_without_the_key_can_recompute():
    record = {"sequence": 1, "actor": "张警官", "key_id": "k2"}
    keyed = keyed_record_hash(GENESIS, record, KEY)
    assert keyed != record_hash(GENESIS, record)
    assert keyed != keyed_record_hash(GENESIS, record, OLD_KEY)
    assert keyed != hmac.new(KEY, GENESIS.encode() + canonical_bytes(record), "sha256").hexdigest()
    assert keyed == keyed_record_hash(GENESIS, dict(reversed(record.items())), KEY)
    with pytest.raises(ValueError):
        keyed_record_hash("x", record, KEY)


def test_a_keyed_chain_verifies_with_its_key_and_names_it():
    chain = build_keyed_chain(4)
    report = verify_chain(chain, keys=KEYS)
    assert report.ok
    assert (report.checked, report.legacy_through, report.key_ids) == (4, 0, ("k2",))


def test_a_keyed_chain_does_not_verify_without_its_key():
    report = verify_chain(build_keyed_chain(2), keys={"k1": OLD_KEY})
    assert report.first_bad_sequence == 1
    assert "unknown audit key id 'k2'" in report.reason
    assert "unknown audit key id" in verify_chain(build_keyed_chain(1)).reason


def test_a_chain_spanning_a_key_rotation_verifies_with_both_keys():
    chain = build_keyed_chain(2, key_id="k1")
    chain += build_keyed_chain(2, key_id="k2", prev=chain[-1][1], first=3)
    report = verify_chain(chain, keys=KEYS)
    assert report.ok
    assert report.key_ids == ("k1", "k2")
    assert verify_chain(chain, keys={"k2": KEY}).first_bad_sequence == 1


def test_a_record_relabelled_to_another_key_is_reported():
    chain = build_keyed_chain(3)
    chain[1][0]["key_id"] = "k1"
    assert verify_chain(chain, keys=KEYS).first_bad_sequence == 2


def test_a_forged_keyed_record_rechained_with_plain_sha256_is_reported():
    chain = build_keyed_chain(4)
    prev = chain[0][1]
    for index in range(1, 4):
        record = dict(chain[index][0], prev_hash=prev)
        if index == 1:
            record["action"] = "declaration.return"
        digest = record_hash(prev, record)
        chain[index] = (record, digest)
        prev = digest
    report = verify_chain(chain, keys=KEYS)
    assert report.first_bad_sequence == 2
    assert "hash mismatch" in report.reason


def test_legacy_records_may_only_come_before_the_keyed_ones():
    legacy = build_chain(3)
    keyed = build_keyed_chain(2, prev=legacy[-1][1], first=4)
    report = verify_chain(legacy + keyed, keys=KEYS)
    assert report.ok
    assert (report.legacy_through, report.key_ids) == (3, ("k2",))

    unkeyed = {"sequence": 5, "action": "declaration.verify", "prev_hash": keyed[0][1]}
    downgraded = [*legacy, keyed[0], (unkeyed, record_hash(keyed[0][1], unkeyed))]
    report = verify_chain(downgraded, keys=KEYS)
    assert report.first_bad_sequence == 5
    assert "downgrade" in report.reason


def test_legacy_records_beyond_the_declared_prefix_are_reported():
    chain = build_chain(4)
    assert verify_chain(chain, max_legacy=4).ok
    report = verify_chain(chain, max_legacy=2)
    assert report.first_bad_sequence == 3
    assert "undeclared legacy record" in report.reason
    assert "(1–2)" in report.reason
    assert "(none)" in verify_chain(chain, max_legacy=0).reason


def test_a_checkpoint_that_matches_is_counted():
    chain = build_keyed_chain(5)
    report = verify_chain(chain, keys=KEYS, checkpoints={2: chain[1][1], 5: chain[4][1]})
    assert report.ok
    assert report.anchored == 2


def test_a_chain_rewritten_with_the_key_before_a_checkpoint_is_reported_there():
    chain = build_keyed_chain(5)
    checkpoints = {4: chain[3][1]}
    forged = build_keyed_chain(4)
    forged[0][0]["action"] = "declaration.return"
    prev = GENESIS
    for index, (record, _) in enumerate(forged):
        record["prev_hash"] = prev
        prev = keyed_record_hash(prev, record, KEY)
        forged[index] = (record, prev)
    report = verify_chain(forged, keys=KEYS, checkpoints=checkpoints)
    assert not report.ok
    assert report.first_bad_sequence == 4
    assert "anchor mismatch" in report.reason
    assert report.checked == 3


def test_a_check_can_continue_from_a_confirmed_point():
    chain = build_keyed_chain(5)
    report = verify_chain(
        chain[3:], keys=KEYS, start_sequence=3, start_hash=chain[2][1], start_keyed=True
    )
    assert report.ok
    assert (report.checked, report.last_sequence, report.last_hash) == (2, 5, chain[4][1])
    wrong = verify_chain(chain[3:], keys=KEYS, start_sequence=3, start_hash="e" * 64)
    assert wrong.first_bad_sequence == 4
    assert "broken link" in wrong.reason
    legacy_after_keyed = verify_chain(
        build_chain(5)[3:], start_sequence=3, start_hash=build_chain(3)[-1][1], start_keyed=True
    )
    assert "downgrade" in legacy_after_keyed.reason


# Anchors -------------------------------------------------------------------------------------

AT = dt.datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def anchor(sequence=5, digest="a" * 64, prev=GENESIS, keys=KEYS, at=AT):
    return anchor_line(sequence=sequence, hash=digest, anchored_at=at, prev=prev, keys=keys)


def test_an_anchor_line_is_canonical_signed_json_ending_in_a_newline():
    line = anchor()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    record = json.loads(line)
    assert canonical_bytes(record) + b"\n" == line
    assert record["anchored_at"] == "2026-03-01T00:00:00.000000+00:00"
    assert (record["v"], record["sequence"], record["key_id"]) == (1, 5, "k2")
    assert len(record["sig"]) == 64


def test_an_anchor_line_reads_back_as_its_checkpoint():
    line = anchor()
    checkpoint = parse_anchor_line(line, keys=KEYS, prev=GENESIS)
    assert checkpoint == Checkpoint(
        sequence=5,
        hash="a" * 64,
        anchored_at="2026-03-01T00:00:00.000000+00:00",
        prev=GENESIS,
        key_id="k2",
        digest=line_digest(line),
    )
    assert line_digest(line) == hashlib.sha256(line[:-1]).hexdigest()


def test_an_anchor_signed_with_an_older_key_still_verifies():
    line = anchor(keys={"k1": OLD_KEY})
    assert parse_anchor_line(line, keys=KEYS, prev=GENESIS).key_id == "k1"


def _edited(line, **changes):
    record = json.loads(line)
    record.update(changes)
    return canonical_bytes(record) + b"\n"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (_edited(anchor(), sequence=4), "signature does not match"),
        (_edited(anchor(), hash="b" * 64), "signature does not match"),
        (_edited(anchor(), anchored_at="2026-03-02T00:00:00.000000+00:00"), "signature"),
        (_edited(anchor(), key_id="k1"), "signature does not match"),
        (_edited(anchor(), key_id="k9"), "unknown audit key id 'k9'"),
        (anchor(keys={"k2": OLD_KEY}), "signature does not match"),
        (anchor().replace(b",", b", ", 1), "not in canonical form"),
        (anchor()[:40], "not valid JSON"),
        (b'{"sequence":1}\n', "fields differ"),
        (_edited(anchor(), v=2), "unknown anchor version"),
        (_edited(anchor(), sequence="5"), "not a non-negative integer"),
        (_edited(anchor(), sig=5), "must be strings"),
        (_edited(anchor(), sig="签名" * 32), "signature does not match"),
        (anchor(prev="c" * 64), "does not link to the line before it"),
    ],
    ids=[
        "sequence",
        "hash",
        "time",
        "relabelled-key",
        "unknown-key",
        "wrong-key",
        "reformatted",
        "torn",
        "not-an-anchor",
        "version",
        "sequence-type",
        "sig-type",
        "sig-non-ascii",
        "wrong-link",
    ],
)
def test_a_tampered_anchor_line_is_refused(line, reason):
    with pytest.raises(AnchorError, match=reason):
        parse_anchor_line(line, keys=KEYS, prev=GENESIS)


def test_the_link_is_only_checked_when_the_line_before_is_known():
    line = anchor(prev="c" * 64)
    assert parse_anchor_line(line, keys=KEYS, prev=None).prev == "c" * 64


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence": -1},
        {"digest": "x"},
        {"prev": "G" * 64},
        {"at": dt.datetime(2026, 3, 1)},
        {"keys": {}},
    ],
    ids=["negative", "bad-hash", "bad-prev", "naive-time", "no-key"],
)
def test_anchor_line_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        anchor(**kwargs)
