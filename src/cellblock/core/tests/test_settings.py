from django.conf import settings

from cellblock import settings as project_settings


def test_passwords_are_hashed_with_argon2():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_the_default_database_is_sqlite_tuned_for_durability_and_concurrency():
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        options = database["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "PRAGMA journal_mode=WAL" in options["init_command"]
        assert "PRAGMA synchronous=FULL" in options["init_command"]
    else:
        assert database["CONN_HEALTH_CHECKS"] is True


def test_sessions_lock_after_thirty_idle_minutes_and_end_after_twelve_hours():
    assert settings.CELLBLOCK_SESSION_IDLE_MINUTES == 30
    assert settings.CELLBLOCK_SESSION_MAX_HOURS == 12
    assert settings.CELLBLOCK_LOGIN_FAILURE_LIMIT == 5
    assert settings.CELLBLOCK_LOGIN_FAILURE_WINDOW_MINUTES == 15
