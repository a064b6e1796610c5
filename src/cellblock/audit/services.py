"""The two ways anything enters the audit trail: a write, or a sensitive read.

Services call ``audit_record`` inside their own ``transaction.atomic()`` so the
event commits or rolls back with the change it describes.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from cellblock.audit.chain import entry_hash, payload_of
from cellblock.audit.models import AuditEvent, AuditHead, Outcome
from cellblock.core import clock
from cellblock.core.request_context import current_request_id

if TYPE_CHECKING:
    from cellblock.accounts.models import User
    from cellblock.facilities.models import Facility


class AuditOutsideTransactionError(RuntimeError):
    """An audit event must share the transaction of the change it records."""


def _object_ref(obj: models.Model | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    meta = obj._meta
    public = getattr(obj, "public_id", None) or getattr(obj, "booking_number", None) or obj.pk
    return f"{meta.app_label}.{meta.model_name}", str(public), str(obj)[:200]


def _roles_text(actor: User | None, facility: Facility | None) -> str:
    if actor is None:
        return ""
    if facility is not None:
        roles = set(actor.roles_at(facility.pk))
    else:
        roles = {role for held in actor.facility_roles().values() for role in held}
    if actor.is_superuser:
        roles.add("superuser")
    return ",".join(sorted(roles))


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    facility: Facility | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    outcome: str = Outcome.SUCCESS,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
) -> AuditEvent:
    """Append one event to the chain; must run inside the caller's transaction.

    ``obj`` fills the object type, id (its public id) and label unless they are
    given.  ``changes`` is stored as JSON: values that JSON cannot hold are
    kept as text.
    """
    if not connection.in_atomic_block:
        raise AuditOutsideTransactionError(
            f"audit_record({action!r}) was called outside transaction.atomic()."
        )
    ref_type, ref_id, ref_label = _object_ref(obj)
    # Taking the head row first is what serialises appends on PostgreSQL.
    head = AuditHead.objects.select_for_update().get(pk=1)
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=clock.now(),
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        actor_roles=_roles_text(actor, facility),
        action=action,
        object_type=object_type or ref_type,
        object_id=_text(object_id or ref_id, 64),
        object_label=_text(object_label or ref_label, 200),
        facility=facility,
        outcome=outcome,
        reason=_text(reason),
        request_id=_text(current_request_id(), 64),
        # Stored exactly as it will be read back, so the hash can be recomputed.
        changes=_stored_json(changes or {}),
        prev_hash=head.entry_hash,
    )
    event.entry_hash = entry_hash(head.entry_hash, payload_of(_row_of(event)))
    event.save(force_insert=True)
    head.seq = event.seq
    head.entry_hash = event.entry_hash
    head.save(update_fields=["seq", "entry_hash"])
    return event


def audit_record_read(
    *,
    actor: User,
    obj: models.Model,
    facility: Facility | None,
    reason: str = "",
    what: str = "",
    label: str = "",
) -> AuditEvent:
    """Record that ``actor`` read a sensitive record.

    Only the fact of the read is kept (``what`` names the section), never the
    contents, so the auditor sees that a read happened and not what was read.
    For the same reason the label is not ``str(obj)``, which may quote the
    record: it is the kind of record and its id unless ``label`` (say, whose
    record it is) is given.
    """
    _, public_id, _ = _object_ref(obj)
    with transaction.atomic():
        return audit_record(
            actor=actor,
            action=f"{obj._meta.model_name}.read",
            obj=obj,
            object_label=label or f"{obj._meta.verbose_name} {public_id}",
            facility=facility,
            changes={"section": what} if what else None,
            reason=reason,
        )


def _row_of(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields of an unsaved event, exactly as they will be read back."""
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_roles": event.actor_roles,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "facility_id": event.facility_id,
        "outcome": event.outcome,
        "reason": event.reason,
        "request_id": event.request_id,
        "changes": event.changes,
    }


class _ChangesEncoder(DjangoJSONEncoder):
    """Dates, decimals and UUIDs as Django writes them; records and the rest as text."""

    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return str(o)[:200]
        if isinstance(o, set | frozenset):
            return sorted(o, key=str)
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _text(value: str, max_length: int | None = None) -> str:
    # PostgreSQL refuses NUL in text and SQLite keeps it: replaced, both store the same.
    value = value.replace("\x00", "\ufffd")
    return value[:max_length] if max_length is not None else value


def _portable(value: Any) -> Any:
    """The value as both engines give it back.

    PostgreSQL's jsonb prints a float such as ``1e16`` as the integer
    ``10000000000000000`` and refuses NaN, infinities and NUL characters, so
    whole floats are stored as integers, NaN and infinities as text, and NUL
    characters replaced.
    """
    if isinstance(value, dict):
        return {_text(key): _portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_portable(item) for item in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return _text(value)
    return value


def _stored_json(value: dict[str, Any]) -> Any:
    # What the JSONField gives back when the chain is verified later: tuples
    # become lists, dates and UUIDs become strings.
    return _portable(json.loads(json.dumps(value, cls=_ChangesEncoder)))


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
