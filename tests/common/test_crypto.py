"""Field encryption and keyed hashes for bulk writes (DESIGN §8): the bulk forms give what the
one-value forms give."""

from __future__ import annotations

from onetrip.common.crypto import (
    decrypt_text,
    encrypt_text,
    encrypt_texts,
    lookup_hash,
    lookup_hasher,
)

KEYS = {"k2": b"\x02" * 32, "k1": b"\x01" * 32}


def test_encrypt_texts_seals_each_value_as_encrypt_text_does_with_a_nonce_of_its_own() -> None:
    values = ["张三", "张三", "3301061990010100 1X", "曙光路 12 号"]
    sealed = encrypt_texts(values, keys=KEYS)
    assert [decrypt_text(token, keys=KEYS) for token in sealed] == values
    assert all(token.startswith("v1:k2:") for token in sealed)  # the newest key
    nonces = {token.split(":", 2)[2][:16] for token in sealed}
    assert len(set(sealed)) == len(nonces) == len(values)
    assert decrypt_text(encrypt_text("张三", keys=KEYS), keys=KEYS) == "张三"
    assert encrypt_texts([], keys=KEYS) == []


def test_lookup_hasher_gives_lookup_hash_for_every_value_and_purpose() -> None:
    key = b"lookup-key"
    hasher = lookup_hasher(key=key)
    for value, purpose in [
        ("330106199001010011", "id_number"),
        ("330106199001010011", "reported_person"),
        ("", "id_number"),
        ("曙光路 12 号", "reported_address"),
    ]:
        assert hasher(value, purpose) == lookup_hash(value, purpose=purpose, key=key)
    assert hasher("a", "id_number") != lookup_hasher(key=b"other")("a", "id_number")
