"""``cellblock audit verify`` and ``cellblock audit head``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cellblock.audit.selectors import audit_chain_verify, audit_head, head_signature


class Command(BaseCommand):
    help = "Check or print the audit chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="Recompute every hash and name the first bad event.")
        head = sub.add_parser("head", help="Print the latest sequence number and hash.")
        head.add_argument("--json", action="store_true", help="Print as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "verify":
            self._verify()
        else:
            self._head(as_json=options["json"])

    def _verify(self) -> None:
        result = audit_chain_verify()
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at event #{result.first_bad_seq}: {result.problem} "
                f"({result.checked} events verified before it)"
            )
        self.stdout.write(
            f"audit chain OK: {result.checked} events, head #{result.head_seq} {result.head_hash}"
        )

    def _head(self, *, as_json: bool) -> None:
        head = audit_head()
        signature = head_signature(head.seq, head.entry_hash)
        if as_json:
            payload = {"seq": head.seq, "entry_hash": head.entry_hash, "signature": signature}
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(f"{head.seq} {head.entry_hash} {signature}")
