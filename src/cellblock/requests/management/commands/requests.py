"""``cellblock requests escalate [--facility CODE]``.

Sends every request waiting past its due time up to the commander
(``requests_escalate_overdue``), for one facility or all of them: the same
step the compliance sweep takes, for a cron job of its own.  It runs as the
system; each escalation is in the thread and the audit log.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cellblock.core import clock
from cellblock.core.progress import bars
from cellblock.exchange.management.options import facility_by_code
from cellblock.facilities.models import Facility
from cellblock.requests.services import requests_escalate_overdue

ESCALATED = "{facility}: {count} request{s} sent up to the commander{numbers}."
TOTAL = "{count} overdue request{s} escalated at {at:%Y-%m-%d %H:%M:%S} UTC."


class Command(BaseCommand):
    help = "Inmate requests: escalate those waiting past their due time to the commander."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        escalate = sub.add_parser(
            "escalate", help="Send requests waiting past their due time up to the commander."
        )
        escalate.add_argument("--facility", metavar="CODE", help="One facility (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        code: str | None = options["facility"]
        facilities = [facility_by_code(code)] if code else list(Facility.objects.order_by("code"))
        now = clock.now()
        total = 0
        lines: list[str] = []
        bar = bars(self.stderr)("facilities checked", len(facilities))
        try:
            for facility in facilities:
                escalated = requests_escalate_overdue(facility=facility, now=now)
                total += len(escalated)
                if escalated:
                    lines.append(
                        ESCALATED.format(
                            facility=facility.code, count=len(escalated),
                            s="" if len(escalated) == 1 else "s",
                            numbers=": " + ", ".join(r.number for r in escalated),
                        )
                    )  # fmt: skip
                bar.advance()
        finally:
            bar.close()
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(TOTAL.format(count=total, s="" if total == 1 else "s", at=now))
