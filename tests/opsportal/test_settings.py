import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-4f8a9c2e7b1d6f3a0e5c",
    "DATABASE_URL": "postgres://ops:pw@127.0.0.1:5432/opsportal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://ops:pw@127.0.0.1:587",
    "ALLOWED_HOSTS": "ops.example.com",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    # Only what a production host would have: none of the test run's own switches.
    dropped = {*PRODUCTION, "CI", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_off_without_a_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.smoke
def test_env_example_lists_every_variable_settings_read():
    import re

    settings_text = (ROOT / "opsportal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_text))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    assert read, "found no env reads in settings.py"
    assert not read - listed, f"missing from .env.example: {sorted(read - listed)}"
