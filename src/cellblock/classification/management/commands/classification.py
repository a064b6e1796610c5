"""``cellblock classification sweep``, ``publish FILE.json`` and ``show [CODE]``.

``sweep`` is the periodic pass of what time alone changes (18th birthdays,
flags that ran out, housing alerts whose cause expired); run it from cron
every few minutes.  ``publish`` adds a version of a classification
instrument; ``show`` prints the version in force.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cellblock.classification import instrument as scoring
from cellblock.classification.models import Instrument
from cellblock.classification.selectors import instrument_in_force
from cellblock.classification.services import classification_sweep, instrument_publish
from cellblock.core import clock
from cellblock.core.errors import DomainError, ValidationFailed
from cellblock.exchange.management.options import user_by_name
from cellblock.facilities.models import FacilityPolicy

# One line per run, so a cron log reads as a column of runs.
SWEPT = (
    "Classification sweep at {at}: juvenile flags lifted on an 18th birthday: {lifted}; "
    "juvenile flags set from a date of birth: {flagged}; flags expired: {expired}; "
    "bookings with open housing alerts rechecked: {rechecked}."
)
UNREADABLE = "Cannot read {path}: {problem}."
NOT_AN_OBJECT = "{path} must hold one JSON object: the instrument definition."
REFUSED = "{path} was not published: {count} problem(s), listed above."
PUBLISHED = "Published {name}: {code} version {version}."
NOT_PUBLISHED_YET = (
    "Not published yet: the default shipped with cellblock, published by the first assessment."
)


def _default_code() -> str:
    """The instrument a facility uses unless its policy names another."""
    return str(FacilityPolicy._meta.get_field("classification_instrument").get_default())


class Command(BaseCommand):
    help = "Run the classification sweep, publish an instrument version, or show one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser(
            "sweep",
            help="Lift juvenile flags on the 18th birthday, expire flags, recheck housing "
            "alerts (run from cron every few minutes).",
        )
        publish = sub.add_parser(
            "publish", help="Publish a new version of an instrument from its JSON definition."
        )
        publish.add_argument("file", type=Path, help="The JSON definition (see `show --json`).")
        publish.add_argument("--note", default="", help="Why this version, for the record.")
        publish.add_argument(
            "--as", dest="as_user", metavar="USERNAME",
            help="Record this user as the publisher; otherwise the system.",
        )  # fmt: skip
        show = sub.add_parser("show", help="Print the version of an instrument in force.")
        show.add_argument(
            "code", nargs="?", default=None,
            help=f"The instrument's code (default: {_default_code()}).",
        )  # fmt: skip
        show.add_argument(
            "--json", action="store_true",
            help="Print the JSON definition, a starting point for the next version.",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verb"] == "sweep":
                self._sweep()
            elif options["verb"] == "publish":
                self._publish(options["file"], note=options["note"], as_user=options["as_user"])
            else:
                self._show(options["code"] or _default_code(), as_json=options["json"])
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _sweep(self) -> None:
        result = classification_sweep()
        self.stdout.write(
            SWEPT.format(
                at=clock.now().isoformat(timespec="seconds"), lifted=result.juveniles_lifted,
                flagged=result.juveniles_flagged, expired=result.flags_expired,
                rechecked=result.alerts_rechecked,
            )
        )  # fmt: skip

    def _publish(self, path: Path, *, note: str, as_user: str | None) -> None:
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(UNREADABLE.format(path=path, problem=exc.strerror)) from None
        except ValueError as exc:  # JSON and UTF-8 errors alike
            raise CommandError(UNREADABLE.format(path=path, problem=exc)) from None
        if not isinstance(definition, dict):
            raise CommandError(NOT_AN_OBJECT.format(path=path))
        actor = user_by_name(as_user)
        try:
            instrument = instrument_publish(actor=actor, definition=definition, note=note.strip())
        except ValidationFailed as exc:
            fields: dict[str, list[str]] = exc.extra.get("fields", {})
            for name, messages in fields.items():
                self.stderr.write(f"{name.removeprefix('definition.')}: {' '.join(messages)}")
            raise CommandError(REFUSED.format(path=path, count=len(fields))) from None
        self.stdout.write(
            PUBLISHED.format(name=instrument.name, code=instrument.code, version=instrument.version)
        )

    def _show(self, code: str, *, as_json: bool) -> None:
        stored = instrument_in_force(code)
        if as_json:
            self.stdout.write(json.dumps(stored.definition, indent=2, ensure_ascii=False))
            return
        for line in describe(stored):
            self.stdout.write(line)


def describe(stored: Instrument) -> list[str]:
    """The instrument as text: items, answers and points, cut-points, special management."""
    parsed = scoring.parse_instrument(stored.definition)
    lines = [f"{parsed.name}: {parsed.code} version {parsed.version}"]
    if stored.pk is None:
        lines.append(NOT_PUBLISHED_YET)
    else:
        by = stored.published_by.get_username() if stored.published_by else "the system"
        when = stored.published_at.isoformat(timespec="minutes")
        lines.append(f"Published {when} by {by}" + (f": {stored.note}" if stored.note else "."))
    width = max(len(answer.code) for item in parsed.items for answer in item.answers)
    for number, item in enumerate(parsed.items, start=1):
        lines += ["", f"{number}. {item.label} [{item.code}]"]
        lines += [
            f"   {answer.points:>3}  {answer.code:<{width}}  {answer.label}"
            for answer in item.answers
        ]
    lines += [
        "",
        f"Cut-points (total of the points, 0 to {parsed.max_total}):",
        f"  0 to {parsed.minimum_max}: {scoring.MINIMUM}",
        f"  {parsed.minimum_max + 1} to {parsed.medium_max}: {scoring.MEDIUM}",
        f"  {parsed.medium_max + 1} or more: {scoring.MAXIMUM}",
    ]
    if parsed.special_management:
        lines += ["", f"Special management ({scoring.SPECIAL}), whatever the total:"]
        for item in parsed.items:
            for answer in item.answers:
                if (item.code, answer.code) in parsed.special_management:
                    lines.append(f"  {item.label}: {answer.label} [{item.code}={answer.code}]")
    return lines
