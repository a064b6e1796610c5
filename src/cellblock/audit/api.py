"""Audit API for auditors: the filtered log, verification and the signed head."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from cellblock.audit.models import AuditEvent
from cellblock.audit.selectors import audit_chain_verify, audit_events, audit_head, head_signature
from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm

router = Router()


class EventOut(Schema):
    seq: int
    occurred_at: dt.datetime
    actor: str
    actor_roles: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    facility: str | None
    outcome: str
    reason: str
    request_id: str
    changes: dict
    entry_hash: str


class HeadOut(Schema):
    seq: int
    entry_hash: str
    signature: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None
    problem: str


def _event_out(event: AuditEvent) -> EventOut:
    return EventOut(
        seq=event.seq, occurred_at=event.occurred_at, actor=event.actor_username,
        actor_roles=event.actor_roles, action=event.action, object_type=event.object_type,
        object_id=event.object_id, object_label=event.object_label,
        facility=event.facility.name if event.facility else None, outcome=event.outcome,
        reason=event.reason, request_id=event.request_id, changes=event.changes,
        entry_hash=event.entry_hash,
    )  # fmt: skip


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


@router.get("/events", response=list[EventOut], auth=api_requires(Perm.AUDIT_READ))
def list_events(
    request: HttpRequest,
    actor: str = "",
    object_id: str = "",
    object_type: str = "",
    action: str = "",
    outcome: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 200,
) -> list[EventOut]:
    """Events newest first; ``action`` is a prefix, ``since`` inclusive, ``until`` exclusive.

    A time without a zone is read as UTC.
    """
    events = audit_events(
        actor=actor, object_id=object_id, object_type=object_type, action=action,
        outcome=outcome, facility_ids=acting_user(request).facilities_with(Perm.AUDIT_READ),
        since=_utc(since), until=_utc(until),
    )  # fmt: skip
    return [_event_out(e) for e in events[: max(1, min(limit, 1000))]]


@router.get("/head", response=HeadOut, auth=api_requires(Perm.AUDIT_READ))
def get_head(request: HttpRequest) -> HeadOut:
    head = audit_head()
    signature = head_signature(head.seq, head.entry_hash)
    return HeadOut(seq=head.seq, entry_hash=head.entry_hash, signature=signature)


@router.post("/verify", response=VerifyOut, auth=api_requires(Perm.AUDIT_READ))
def verify(request: HttpRequest) -> VerifyOut:
    result = audit_chain_verify()
    return VerifyOut(
        ok=result.ok, checked=result.checked, head_seq=result.head_seq,
        first_bad_seq=result.first_bad_seq, problem=result.problem,
    )  # fmt: skip
