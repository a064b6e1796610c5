"""``cellblock audit head`` and ``cellblock audit verify``."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core import signing
from django.core.management import call_command
from django.db import transaction

from cellblock.audit.models import AuditHead
from cellblock.audit.services import audit_record
from cellblock.cli import main

pytestmark = pytest.mark.django_db

SIGNER = signing.Signer(salt="cellblock.audit.head")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue().strip()


def test_head_prints_seq_hash_and_a_signature_that_verifies(site):
    head = AuditHead.objects.get(pk=1)

    seq, entry_hash, signature = run("head").split()

    assert (int(seq), entry_hash) == (head.seq, head.entry_hash)
    assert SIGNER.unsign(f"{seq}:{entry_hash}:{signature}") == f"{head.seq}:{head.entry_hash}"


def test_head_as_json_carries_the_same_signed_values(site):
    head = AuditHead.objects.get(pk=1)

    printed = json.loads(run("head", "--json"))

    assert printed["seq"] == head.seq
    assert printed["entry_hash"] == head.entry_hash
    signed = f"{printed['seq']}:{printed['entry_hash']}:{printed['signature']}"
    assert SIGNER.unsign(signed) == f"{head.seq}:{head.entry_hash}"


def test_a_signature_does_not_vouch_for_another_head(site):
    seq, entry_hash, signature = run("head").split()

    with pytest.raises(signing.BadSignature):
        SIGNER.unsign(f"{int(seq) + 1}:{entry_hash}:{signature}")
    with pytest.raises(signing.BadSignature):
        SIGNER.unsign(f"{seq}:{'0' * 64}:{signature}")


def test_the_head_moves_with_each_append(site):
    before = json.loads(run("head", "--json"))
    with transaction.atomic():
        audit_record(actor=None, action="test.append")

    after = json.loads(run("head", "--json"))

    assert after["seq"] == before["seq"] + 1
    assert after["entry_hash"] != before["entry_hash"]
    assert after["signature"] != before["signature"]


def test_head_of_an_empty_chain_is_the_genesis():
    seq, entry_hash, _ = run("head").split()

    assert (seq, entry_hash) == ("0", "0" * 64)


def test_verify_prints_ok_with_the_count_and_the_head(site):
    head = AuditHead.objects.get(pk=1)

    printed = run("verify")

    assert printed == f"audit chain OK: {head.seq} events, head #{head.seq} {head.entry_hash}"


def test_the_cellblock_command_runs_audit_verify(site, capsys):
    main(["audit", "verify"])

    assert re.match(r"audit chain OK: \d+ events", capsys.readouterr().out)
