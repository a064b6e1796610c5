"""``cellblock compliance sweep [--facility CODE] [--every SECONDS]``.

Writes the alert board's history (``compliance_sweep``) for one facility or
all of them, once or every so many seconds until stopped: the scheduled job
behind the compliance report.  It runs as the system unless ``--as`` names a
supervisor or commander.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cellblock.compliance.services import SweepResult, compliance_sweep
from cellblock.core.errors import DomainError
from cellblock.exchange.management.options import facility_by_code, user_by_name
from cellblock.facilities.models import Facility

SWEPT = (
    "{at:%Y-%m-%d %H:%M:%S} {facility}: {opened} opened, {cleared} cleared, {open} open,"
    " {escalated} request(s) escalated."
)
SUPERSEDED = "{at:%Y-%m-%d %H:%M:%S} {facility}: a newer sweep had already written; skipped."


def sweep_line(result: SweepResult) -> str:
    template = SUPERSEDED if result.superseded else SWEPT
    return template.format(
        at=result.at, facility=result.facility.code, opened=len(result.opened),
        cleared=len(result.cleared), open=result.open_now, escalated=len(result.escalated),
    )  # fmt: skip


class Command(BaseCommand):
    help = "Record the compliance board's alerts as episodes (open, refresh, clear)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sweep = sub.add_parser("sweep", help="Open, refresh and clear alert episodes.")
        sweep.add_argument("--facility", metavar="CODE", help="One facility (default: all).")
        sweep.add_argument(
            "--every", type=float, metavar="SECONDS",
            help="Sweep again every SECONDS until stopped (Ctrl-C).",
        )  # fmt: skip
        sweep.add_argument(
            "--rounds", type=int, metavar="N", help="With --every: stop after N sweeps."
        )
        sweep.add_argument(
            "--as", dest="as_user", metavar="USERNAME",
            help="Record this user as running it; otherwise the system.",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        every: float | None = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        actor = user_by_name(options["as_user"])
        code: str | None = options["facility"]
        rounds: int | None = options["rounds"]
        done = 0
        try:
            while True:
                facilities = (
                    [facility_by_code(code)] if code else list(Facility.objects.order_by("code"))
                )
                for facility in facilities:
                    line = sweep_line(compliance_sweep(actor=actor, facility=facility))
                    # Quiet beside a server (--verbosity 0): the sweep's audit event is the record.
                    if options["verbosity"] > 0:
                        self.stdout.write(line)
                done += 1
                if every is None or (rounds is not None and done >= rounds):
                    return
                time.sleep(every)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except KeyboardInterrupt:
            self.stdout.write(f"Stopped after {done} sweep{'s' if done != 1 else ''}.")
