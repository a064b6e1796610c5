"""Reads of the audit trail: verification, the head, and the filtered log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from cellblock.audit.chain import HASHED_FIELDS, VerifyResult, verify_rows
from cellblock.audit.models import AuditEvent, AuditHead

_VERIFY_BATCH = 2000


def _rows_in_order() -> Iterator[dict[str, Any]]:
    # Keyset pagination keeps memory flat however long the chain grows.
    last_seq = 0
    fields = (*HASHED_FIELDS, "prev_hash", "entry_hash")
    while True:
        batch = list(
            AuditEvent.objects.filter(seq__gt=last_seq)
            .order_by("seq")
            .values(*fields)[:_VERIFY_BATCH]
        )
        if not batch:
            return
        yield from batch
        last_seq = batch[-1]["seq"]


def audit_chain_verify() -> VerifyResult:
    """Recompute every hash, and check the chain passes through the head row.

    The head is read first: events appended while the rows are read then come
    after it instead of looking like a head that ran ahead of the chain.
    """
    head = AuditHead.objects.get(pk=1)
    return verify_rows(_rows_in_order(), head=(head.seq, head.entry_hash))


def audit_head() -> AuditHead:
    return AuditHead.objects.get(pk=1)


def head_signature(seq: int, entry_hash: str) -> str:
    """HMAC of the head under the installation's secret key.

    Stored elsewhere (a ticket, an email, another system), the signed head
    proves later that the chain up to ``seq`` existed as it is now.
    """
    return signing.Signer(salt="cellblock.audit.head").signature(f"{seq}:{entry_hash}")


def audit_events(
    *,
    actor: str = "",
    object_id: str = "",
    object_type: str = "",
    action: str = "",
    outcome: str = "",
    facility_ids: list[int] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    oldest_first: bool = False,
) -> QuerySet[AuditEvent]:
    """Events newest first (or oldest first), narrowed by the auditor's filters.

    ``action`` matches a prefix (``booking.`` finds every booking action);
    ``since`` is inclusive and ``until`` exclusive.
    """
    events = AuditEvent.objects.select_related("facility").order_by(
        "seq" if oldest_first else "-seq"
    )
    if facility_ids is not None:
        # Facility-less events (logins, account changes) are visible to every
        # auditor; the rest only within the auditor's facilities.
        events = events.filter(Q(facility_id__in=facility_ids) | Q(facility__isnull=True))
    if actor:
        events = events.filter(actor_username__iexact=actor)
    if object_id:
        events = events.filter(object_id=object_id)
    if object_type:
        events = events.filter(object_type=object_type)
    if action:
        events = events.filter(action__startswith=action)
    if outcome:
        events = events.filter(outcome=outcome)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events
