"""The demo command on a database that is not Konoha's (each test starts empty)."""

import pytest
from django.core.management import call_command

from cellblock.demo.konoha import DEMO_PASSWORD, FACILITY_CODE
from cellblock.facilities.models import Facility

pytestmark = pytest.mark.django_db


def test_if_empty_leaves_a_database_with_other_facilities_alone(site, capsys):
    call_command("demo", "--if-empty")
    assert not Facility.objects.filter(code=FACILITY_CODE).exists()
    assert "not loaded" in capsys.readouterr().out


def test_the_demo_command_prints_the_logins(capsys):
    call_command("demo", "--if-empty")
    out = capsys.readouterr().out
    assert "tsunade" in out
    assert DEMO_PASSWORD in out
    # The moment the case files are set around, on Konoha's clock.
    assert "Demo time: " in out
    assert "(Asia/Tokyo)" in out
