"""``cellblock export --facility CODE --out DIR``: every record of a facility, to take along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cellblock.core.errors import DomainError
from cellblock.core.progress import bars
from cellblock.exchange.management.options import facility_by_code, user_by_name
from cellblock.exchange.services import facility_export


class Command(BaseCommand):
    help = "Write every record of a facility to a directory (docs/import-export.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--facility", required=True, help="Code of the facility, e.g. KON.")
        parser.add_argument("--out", required=True, type=Path, help="Directory to write into.")
        parser.add_argument(
            "--force", action="store_true", help="Write into a directory that is not empty."
        )
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME",
            help="Act as this user (needs records.export); otherwise as the system.",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = facility_export(
                actor=user_by_name(options["as_user"]),
                facility=facility_by_code(options["facility"]),
                out_dir=options["out"],
                force=options["force"],
                progress=bars(self.stderr),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
        self.stdout.write(f"Exported to {result.directory}: {counts}.")
        self.stdout.write(f"manifest.json SHA-256: {result.manifest_sha256}")
