from pathlib import Path

import pytest

from cellblock.core.dburl import DatabaseUrlError, parse_database_url


def test_a_relative_sqlite_url_is_resolved_against_the_base_directory():
    config = parse_database_url("sqlite:///var/db.sqlite3", base_dir=Path("/srv/cellblock"))
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/cellblock/var/db.sqlite3"


def test_sqlite_is_tuned_for_durable_concurrent_writes():
    options = parse_database_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert "synchronous=FULL" in options["init_command"]
    assert options["timeout"] > 0


def test_a_postgres_url_keeps_user_password_host_port_and_options():
    config = parse_database_url(
        "postgresql://jail:s%40cret@db.local:6432/cellblock?sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("jail", "s@cret")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.local", "6432", "cellblock")
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_HEALTH_CHECKS"] is True


def test_a_multi_host_url_becomes_libpq_host_and_port_lists():
    config = parse_database_url(
        "postgresql://cellblock@db1:5432,db2:5433/cellblock?target_session_attrs=read-write"
    )
    assert config["HOST"] == "db1,db2"
    assert config["PORT"] == "5432,5433"
    assert config["OPTIONS"]["target_session_attrs"] == "read-write"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://x/y", "unsupported scheme"),
        ("postgresql://h:5432/", "needs a database name"),
        ("postgresql://h:port/db", "is not a number"),
        ("postgresql://a:5432,b/db", "every host or for none"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_a_bad_url_is_refused_with_the_reason(url, says):
    with pytest.raises(DatabaseUrlError, match=says):
        parse_database_url(url)
