"""Pure functions of the hash chain: canonical form, hashing, verification."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cellblock.audit.models import GENESIS_HASH

# The fields that are hashed, in the order they are listed in docs/audit.md.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_roles",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "facility_id",
    "outcome",
    "reason",
    "request_id",
    "changes",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Stable text: sorted keys, no spaces, UTC timestamps, microseconds kept."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_json(payload).encode("utf-8"))
    return digest.hexdigest()


def payload_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in HASHED_FIELDS}


@dataclass(frozen=True)
class VerifyResult:
    """``head_seq``/``head_hash`` are the last event that checked out."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""


def verify_rows(
    rows: Iterable[Mapping[str, Any]], *, head: tuple[int, str] | None = None
) -> VerifyResult:
    """Walk rows in ``seq`` order and report the first one that breaks the chain.

    ``head`` is the ``(seq, entry_hash)`` the head row held *before* the rows
    were read: the chain must pass through it.  Events appended after it was
    read may follow, but an end that stops short of it means events were
    removed from the end.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0

    def broken(first_bad: int, problem: str) -> VerifyResult:
        return VerifyResult(False, checked, expected_seq - 1, expected_prev, first_bad, problem)

    for row in rows:
        seq = row["seq"]
        if seq > expected_seq:
            missing = (
                f"event #{expected_seq} is"
                if seq == expected_seq + 1
                else f"events #{expected_seq} to #{seq - 1} are"
            )
            return broken(
                expected_seq,
                f"{missing} missing: the sequence jumps from {expected_seq - 1} to {seq}",
            )
        if seq < expected_seq:
            return broken(
                expected_seq,
                f"event #{seq} appears again after #{expected_seq - 1}: the order was altered",
            )
        if row["prev_hash"] != expected_prev:
            return broken(seq, "prev_hash does not match the hash of the event before it")
        if entry_hash(expected_prev, payload_of(row)) != row["entry_hash"]:
            return broken(seq, "entry_hash does not match the event's contents: it was altered")
        if head is not None and seq == head[0] and row["entry_hash"] != head[1]:
            return broken(
                seq, "the head row names another hash for this event: the chain was rewritten"
            )
        expected_prev = row["entry_hash"]
        expected_seq += 1
        checked += 1
    if head is not None and head[0] > checked:
        return broken(
            checked + 1,
            f"the head row says #{head[0]} but the chain ends at #{checked}: "
            "events were removed from the end",
        )
    return VerifyResult(True, checked, checked, expected_prev)
