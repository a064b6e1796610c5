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
    """Recompute every hash; then check the head row agrees with the last event."""
    result = verify_rows(_rows_in_order())
    if not result.ok:
        return result
    head = AuditHead.objects.get(pk=1)
    if (head.seq, head.entry_hash) != (result.head_seq, result.head_hash):
        return VerifyResult(
            ok=False,
            checked=result.checked,
            head_seq=result.head_seq,
            head_hash=result.head_hash,
            first_bad_seq=head.seq if head.seq > result.head_seq else result.head_seq + 1,
            problem=(
                f"the head row says #{head.seq} but the chain ends at #{result.head_seq}: "
                "events were removed from the end or the head was altered"
            ),
        )
    return result


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
    facility_ids: list[int] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first, narrowed by the auditor's filters."""
    events = AuditEvent.objects.select_related("facility").order_by("-seq")
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
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events
