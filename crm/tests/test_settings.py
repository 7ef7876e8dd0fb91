import os
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from crm.settings.base import database_from_env

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SETTINGS_MODULE="crm.settings.production",
        SECRET_KEY=get_random_secret_key() + get_random_secret_key(),
        AUDIT_CHAIN_KEY=get_random_secret_key(),
        ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_settings_refuse_a_missing_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="crm.settings.production", SECRET_KEY="", ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_a_missing_audit_chain_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="crm.settings.production",
                        SECRET_KEY=get_random_secret_key() + get_random_secret_key(), AUDIT_CHAIN_KEY="", ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY must be set" in result.stderr


def test_sqlite_default_uses_wal_and_immediate_transactions(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert str(config["NAME"]).endswith("var/db.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_database_url_selects_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "crm" and "OPTIONS" not in config or "transaction_mode" not in config.get("OPTIONS", {})
