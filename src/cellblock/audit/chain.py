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
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> VerifyResult:
    """Walk rows in ``seq`` order and report the first one that breaks the chain."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            return VerifyResult(
                False, checked, expected_seq - 1, expected_prev, seq,
                f"sequence jumps from {expected_seq - 1} to {seq}: events are missing",
            )  # fmt: skip
        if row["prev_hash"] != expected_prev:
            return VerifyResult(
                False, checked, seq - 1, expected_prev, seq,
                "prev_hash does not match the hash of the event before it",
            )  # fmt: skip
        recomputed = entry_hash(expected_prev, payload_of(row))
        if recomputed != row["entry_hash"]:
            return VerifyResult(
                False, checked, seq - 1, expected_prev, seq,
                "entry_hash does not match the event's contents: it was altered",
            )  # fmt: skip
        expected_prev = row["entry_hash"]
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked, expected_seq - 1, expected_prev)
