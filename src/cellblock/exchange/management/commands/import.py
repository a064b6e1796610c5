"""``cellblock import roster FILE.csv --facility CODE`` and ``cellblock import export DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cellblock.core.errors import DomainError
from cellblock.core.progress import bars
from cellblock.exchange.management.options import facility_by_code, user_by_name
from cellblock.exchange.models import ImportStatus
from cellblock.exchange.services import export_load, roster_import

ROSTER_REJECTED = (
    "Rejected: {bad} of {rows} rows are bad; nothing was imported. Fix them and run again{hint}."
)
KEEP_GOOD_HINT = ", or pass --keep-good to import the good rows and skip the bad ones"
ROSTER_DONE = "{status}: {imported} imported, {skipped} already imported and skipped, {bad} bad."
DRY_RUN = "Dry run, nothing was written. "
DRY_RUN_DONE = (
    "Dry run, nothing was written: {imported} rows would be imported, {skipped} already "
    "imported would be skipped, {bad} bad."
)


class Command(BaseCommand):
    help = "Import a roster CSV into a facility, or load a facility export into this database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        roster = sub.add_parser(
            "roster", help="Import the people held in another system (docs/import-export.md)."
        )
        roster.add_argument("file", type=Path, help="The roster CSV file.")
        roster.add_argument("--facility", required=True, help="Code of the facility, e.g. KON.")
        roster.add_argument(
            "--keep-good", action="store_true", help="Import the good rows, report the bad ones."
        )
        roster.add_argument(
            "--dry-run", action="store_true", help="Check every row and write nothing."
        )
        roster.add_argument(
            "--as", dest="as_user", metavar="USERNAME",
            help="Act as this user (needs records.import); otherwise as the system.",
        )  # fmt: skip
        export = sub.add_parser(
            "export", help="Load a facility export (cellblock export) into this database."
        )
        export.add_argument("directory", type=Path, help="The export directory.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["what"] == "roster":
                self._roster(options)
            else:
                self._export(options["directory"])
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _roster(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        run = roster_import(
            actor=user_by_name(options["as_user"]),
            facility=facility_by_code(options["facility"]),
            file_name=path.name,
            content=content,
            keep_good=options["keep_good"],
            dry_run=options["dry_run"],
            progress=bars(self.stderr),
        )
        for entry in run.report:
            where = f"line {entry['line']}"
            if entry["field"]:
                where += f", {entry['field']}"
            kind = "" if entry["kind"] == "error" else f"[{entry['kind']}] "
            self.stdout.write(f"{kind}{where}: {entry['message']}")
        prefix = DRY_RUN if options["dry_run"] else ""
        if run.status == ImportStatus.REJECTED:
            hint = "" if options["keep_good"] else KEEP_GOOD_HINT
            raise CommandError(
                prefix + ROSTER_REJECTED.format(bad=run.bad, rows=run.rows, hint=hint)
            )
        template = DRY_RUN_DONE if options["dry_run"] else ROSTER_DONE
        self.stdout.write(
            template.format(
                status=run.get_status_display(), imported=run.imported, skipped=run.skipped,
                bad=run.bad,
            )
        )  # fmt: skip

    def _export(self, directory: Path) -> None:
        run = export_load(actor=None, directory=directory, progress=bars(self.stderr))
        self.stdout.write(
            f"Loaded facility {run.facility.code} from {directory}: {run.imported} records. "
            "Staff accounts have no password yet: set one with `cellblock changepassword USERNAME`."
        )
