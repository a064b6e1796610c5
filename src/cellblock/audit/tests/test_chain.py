"""The hash chain: how events link, what is hashed, and what verification reports."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import uuid
from typing import Any

import pytest
from django.db import transaction
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cellblock.audit.chain import (
    HASHED_FIELDS,
    canonical_json,
    entry_hash,
    payload_of,
    verify_rows,
)
from cellblock.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from cellblock.audit.selectors import audit_chain_verify
from cellblock.audit.services import AuditOutsideTransactionError, audit_record

PROPERTIES = settings(max_examples=80, deadline=None, database=None)


# --- events written by services ---------------------------------------------


@pytest.mark.django_db
def test_events_written_by_services_link_each_to_the_one_before_with_seq_1_to_n(
    site, commander, officer
):
    rows = list(AuditEvent.objects.order_by("seq").values())

    assert len(rows) >= 10
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["prev_hash"] == GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["entry_hash"]
    for row in rows:
        assert entry_hash(row["prev_hash"], payload_of(row)) == row["entry_hash"]
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.entry_hash) == (rows[-1]["seq"], rows[-1]["entry_hash"])
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_an_event_rolls_back_with_its_failed_transaction_and_leaves_no_gap(site):
    before = AuditHead.objects.get(pk=1).seq

    def change_that_fails() -> None:
        with transaction.atomic():
            audit_record(actor=None, action="test.doomed", facility=site.facility)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError, match="the change failed"):
        change_that_fails()
    with transaction.atomic():
        kept = audit_record(actor=None, action="test.kept", facility=site.facility)

    assert not AuditEvent.objects.filter(action="test.doomed").exists()
    assert kept.seq == before + 1
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_awkward_values_in_changes_are_stored_so_the_hash_still_verifies(site, commander):
    with transaction.atomic():
        event = audit_record(
            actor=commander,
            action="test.awkward",
            facility=site.facility,
            reason="nul\x00inside",
            changes={
                "big_float": 1e16,
                "whole_float": 2.0,
                "fraction": 0.1,
                "not_a_number": float("nan"),
                "infinite": float("-inf"),
                "tuple": (1, "two"),
                "set": {"b", "a"},
                "day": dt.date(2025, 3, 1),
                "moment": dt.datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC),
                "money": decimal.Decimal("12.50"),
                "uuid": uuid.UUID(int=7),
                "record": site.facility,
                "nested": {"z": [1, {"y": None}], "a": True, "nul": "a\x00b"},
                "unicode": "Konoha 木ノ葉 — ünïcödé",
            },
        )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes["big_float"] == 10**16
    assert stored.changes["not_a_number"] == "nan"
    assert stored.changes["set"] == ["a", "b"]
    assert stored.changes["record"] == str(site.facility)
    assert "\x00" not in stored.reason
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused_and_writes_nothing():
    with pytest.raises(AuditOutsideTransactionError, match=r"outside transaction\.atomic"):
        audit_record(actor=None, action="test.loose")

    assert not AuditEvent.objects.exists()
    assert AuditHead.objects.get(pk=1).seq == 0


# --- the canonical form -----------------------------------------------------

_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
_json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_moment = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis adds the zone)
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-7))]),
)
FIELD_VALUES = {
    "seq": st.integers(min_value=1, max_value=2**62),
    "occurred_at": _moment,
    "actor_id": st.none() | st.integers(min_value=1, max_value=2**31),
    "actor_username": _text,
    "actor_roles": _text,
    "action": _text,
    "object_type": _text,
    "object_id": _text,
    "object_label": _text,
    "facility_id": st.none() | st.integers(min_value=1, max_value=2**31),
    "outcome": st.sampled_from(["success", "denied", "failed"]),
    "reason": _text,
    "request_id": _text,
    "changes": st.dictionaries(_text, _json, max_size=5),
}
payloads = st.fixed_dictionaries(FIELD_VALUES)


def _reordered(value, rnd):
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {key: _reordered(value[key], rnd) for key in keys}
    if isinstance(value, list):
        return [_reordered(item, rnd) for item in value]
    return value


def test_hashed_fields_are_exactly_the_event_columns_except_the_hashes():
    columns = {f.attname for f in AuditEvent._meta.concrete_fields}
    assert set(HASHED_FIELDS) == columns - {"id", "prev_hash", "entry_hash"}


@PROPERTIES
@given(payload=payloads, rnd=st.randoms(use_true_random=False))
def test_the_hash_does_not_depend_on_the_order_of_keys_at_any_depth(payload, rnd):
    shuffled = _reordered(payload, rnd)

    assert canonical_json(shuffled) == canonical_json(payload)
    assert entry_hash(GENESIS_HASH, shuffled) == entry_hash(GENESIS_HASH, payload)


@PROPERTIES
@given(payload=payloads, data=st.data())
def test_any_change_to_any_hashed_field_changes_the_hash(payload, data):
    field = data.draw(st.sampled_from(HASHED_FIELDS))
    new_value = data.draw(FIELD_VALUES[field])
    assume(new_value != payload[field])
    altered = {**payload, field: new_value}

    assert entry_hash(GENESIS_HASH, altered) != entry_hash(GENESIS_HASH, payload)


@PROPERTIES
@given(payload=payloads, other=st.text("0123456789abcdef", min_size=64, max_size=64))
def test_the_same_event_after_another_predecessor_has_another_hash(payload, other):
    assume(other != GENESIS_HASH)
    assert entry_hash(other, payload) != entry_hash(GENESIS_HASH, payload)


def test_the_same_instant_in_another_zone_hashes_the_same():
    moment = dt.datetime(2025, 3, 1, 12, 0, 0, 500, tzinfo=dt.UTC)
    elsewhere = moment.astimezone(dt.timezone(dt.timedelta(hours=9)))

    assert canonical_json({"at": moment}) == canonical_json({"at": elsewhere})
    assert canonical_json({"at": moment}) == '{"at":"2025-03-01T12:00:00.000500+00:00"}'


def test_the_canonical_form_is_pinned_so_old_chains_keep_verifying():
    payload = {
        **{name: "" for name in HASHED_FIELDS},
        "seq": 1,
        "occurred_at": dt.datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        "actor_id": None,
        "facility_id": 3,
        "action": "booking.create",
        "outcome": "success",
        "changes": {"b": [1, 2.5, None], "a": "ü"},
    }

    assert canonical_json(payload) == (
        '{"action":"booking.create","actor_id":null,"actor_roles":"","actor_username":"",'
        '"changes":{"a":"ü","b":[1,2.5,null]},"facility_id":3,"object_id":"","object_label":"",'
        '"object_type":"","occurred_at":"2025-01-02T03:04:05.000006+00:00","outcome":"success",'
        '"reason":"","request_id":"","seq":1}'
    )
    assert entry_hash(GENESIS_HASH, payload) == PINNED_HASH


# sha256("0" * 64 + the text above), computed independently of this code.
PINNED_HASH = "25d4cf90bdf47a81fb561ce627dce39a669c87d0dbabeac5c33821b0c4ba0700"


# --- verification of rows ---------------------------------------------------


def chain(length: int) -> list[dict[str, Any]]:
    """Rows as the database gives them, correctly chained."""
    rows: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for seq in range(1, length + 1):
        row: dict[str, Any] = {name: "" for name in HASHED_FIELDS}
        row.update(
            seq=seq,
            occurred_at=start + dt.timedelta(minutes=seq),
            actor_id=None,
            facility_id=None,
            action="test.event",
            outcome="success",
            changes={"n": seq},
            prev_hash=prev,
        )
        row["entry_hash"] = prev = entry_hash(prev, payload_of(row))
        rows.append(row)
    return rows


def rehash(row: dict) -> None:
    row["entry_hash"] = entry_hash(row["prev_hash"], payload_of(row))


def head_of(rows: list[dict]) -> tuple[int, str]:
    return rows[-1]["seq"], rows[-1]["entry_hash"]


def test_an_intact_chain_verifies_up_to_its_head():
    rows = chain(5)

    result = verify_rows(rows, head=head_of(rows))

    assert result.ok
    assert (result.checked, result.head_seq, result.head_hash) == (5, 5, rows[-1]["entry_hash"])
    assert result.first_bad_seq is None


def test_an_empty_chain_verifies_against_the_genesis_head():
    assert verify_rows([], head=(0, GENESIS_HASH)).ok


def test_altered_contents_name_the_altered_event():
    rows = chain(6)
    head = head_of(rows)
    rows[3]["reason"] = "edited afterwards"

    result = verify_rows(rows, head=head)

    assert not result.ok
    assert result.first_bad_seq == 4
    assert result.checked == 3
    assert "altered" in result.problem


@pytest.mark.parametrize("field", [f for f in HASHED_FIELDS if f != "seq"])
def test_a_change_to_any_stored_field_is_caught(field):
    rows = chain(3)
    rows[1][field] = {"forged": True} if field == "changes" else 999

    assert verify_rows(rows).first_bad_seq == 2


def test_a_missing_middle_event_names_the_gap():
    rows = chain(6)
    head = head_of(rows)
    del rows[2]

    result = verify_rows(rows, head=head)

    assert result.first_bad_seq == 3
    assert "event #3 is missing" in result.problem


def test_several_missing_events_are_named_as_a_range():
    rows = chain(8)
    del rows[2:5]

    result = verify_rows(rows)

    assert result.first_bad_seq == 3
    assert "events #3 to #5 are missing" in result.problem


def test_a_missing_first_event_is_caught():
    assert verify_rows(chain(3)[1:]).first_bad_seq == 1


def test_a_forged_prev_hash_names_the_event_even_when_its_own_hash_is_recomputed():
    rows = chain(5)
    rows[2]["prev_hash"] = "f" * 64
    rehash(rows[2])

    result = verify_rows(rows)

    assert result.first_bad_seq == 3
    assert "prev_hash" in result.problem


def test_events_swapped_and_renumbered_are_caught_by_the_links():
    rows = chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    rows[1]["seq"], rows[2]["seq"] = 2, 3

    assert verify_rows(rows).first_bad_seq == 2


def test_an_event_out_of_order_is_caught():
    rows = chain(5)
    rows.insert(3, dict(rows[1]))

    result = verify_rows(rows)

    assert result.first_bad_seq == 4
    assert "order" in result.problem


def test_a_truncated_end_is_caught_by_the_head_and_names_the_first_missing_event():
    rows = chain(6)
    head = head_of(rows)

    result = verify_rows(rows[:4], head=head)

    assert not result.ok
    assert result.first_bad_seq == 5
    assert result.checked == 4
    assert "removed from the end" in result.problem


def test_a_rewritten_chain_that_no_longer_reaches_the_head_hash_is_caught():
    rows = chain(4)
    head = head_of(rows)
    rows[1]["reason"] = "rewritten"
    for before, row in itertools.pairwise(rows):
        row["prev_hash"] = before["entry_hash"]
        rehash(row)

    result = verify_rows(rows, head=head)

    assert result.first_bad_seq == 4
    assert "head" in result.problem


def test_events_appended_after_the_head_was_read_are_fine():
    rows = chain(6)
    head = (rows[3]["seq"], rows[3]["entry_hash"])

    result = verify_rows(rows, head=head)

    assert result.ok
    assert result.checked == 6
