"""``cellblock demo``: load Konoha Prison (idempotent) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cellblock.demo.konoha import (
    DEMO_PASSWORD,
    any_facility_exists,
    demo_logins,
    demo_time_line,
    konoha_loaded,
    load_konoha,
)

STEPS = 9


class Command(BaseCommand):
    help = "Load the Konoha Prison demo facility and its staff, then print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database has no facility yet (used by `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and any_facility_exists() and not konoha_loaded():
            self.stdout.write("The database already holds facilities; the demo was not loaded.")
            return
        if not (options["if_empty"] and konoha_loaded()):
            done = 0

            def progress(step: str) -> None:
                nonlocal done
                done += 1
                bar = "#" * done + "-" * (STEPS - done)
                self.stdout.write(f"\r[{bar}] {done}/{STEPS} {step:<20}", ending="")
                self.stdout.flush()

            facility = load_konoha(progress)
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS("Konoha Prison is loaded."))
            self.stdout.write(demo_time_line(facility))
        self._print_logins()

    def _print_logins(self) -> None:
        rows = demo_logins()
        width = max(len(username) for username, _, _ in rows)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for username, roles, note in rows:
            self.stdout.write(f"  {username:<{width}}  {roles:<22} {note}")
        self.stdout.write("")
