"""What staff type into a search box, read as the key it is: a reference, a mobile number or an
ID number. Numbers become their keyed hashes, so a search never puts a person's number in clear
into a query or a log (DESIGN §8)."""

from __future__ import annotations

from typing import Literal

from .crypto import lookup_hash
from .identifiers import IdentifierError, normalize_mobile, normalize_reference, parse_resident_id

SearchKind = Literal["reference", "phone", "id_number"]


def staff_search_key(query: str) -> tuple[SearchKind, dict[str, str]] | None:
    """The kind of key and the model lookup (`reference`, `phone_hash` or `id_hash`) for
    `query`, or None when it is none of them."""
    try:
        return "reference", {"reference": normalize_reference(query)}
    except IdentifierError:
        pass
    try:
        phone = normalize_mobile(query)
        return "phone", {"phone_hash": lookup_hash(phone, purpose="phone")}
    except IdentifierError:
        pass
    try:
        number = parse_resident_id(query).number
        return "id_number", {"id_hash": lookup_hash(number, purpose="id_number")}
    except IdentifierError:
        return None
