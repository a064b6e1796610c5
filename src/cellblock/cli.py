"""The ``cellblock`` command: Django's management commands under one name.

``cellblock demo``, ``cellblock audit verify``, ``cellblock migrate`` ... are all
management commands; this entry point only selects the settings module.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cellblock.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cellblock", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
