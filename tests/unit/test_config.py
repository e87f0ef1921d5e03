"""Settings: database URL normalisation, derived paths, and the prod readiness check."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from frontier_review.config import ConfigurationError, Environment, Settings, check_production_ready, load_settings

PG = "postgresql+psycopg://fr@db.internal:5432/frontier"
SECRET = SecretStr("s" * 32)
KEY = SecretStr("A" * 43 + "=")  # only its presence matters to the readiness check


def ready(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.PROD,
        "data_dir": tmp_path,
        "database_url": PG,
        "master_key": KEY,
        "session_secret": SECRET,
    }
    values.update(overrides)
    return load_settings(**values)


def refusal(settings: Settings) -> str:
    with pytest.raises(ConfigurationError) as caught:
        check_production_ready(settings)
    message = str(caught.value)
    assert message.startswith("refusing to start in prod: ")
    return message


# database URL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite+pysqlite:////tmp/x.db", "sqlite+pysqlite:////tmp/x.db"),
        ("", None),
        (None, None),
    ],
)
def test_database_url_normalisation(given: str | None, expected: str | None) -> None:
    assert Settings(database_url=given).database_url == expected


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite+pysqlite:///{(tmp_path / 'frontier-review.db').resolve()}"
    assert settings.is_sqlite
    assert not Settings(data_dir=tmp_path, database_url="postgres://h/db").is_sqlite


def test_master_key_file_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).resolved_master_key_file == tmp_path / "keys" / "master.keys"
    explicit = tmp_path / "elsewhere.keys"
    assert Settings(data_dir=tmp_path, master_key_file=explicit).resolved_master_key_file == explicit


@pytest.mark.parametrize(
    ("env", "configured", "secure"),
    [
        (Environment.DEV, None, False),
        (Environment.PROD, None, True),
        (Environment.DEV, True, True),
        (Environment.PROD, False, False),
    ],
)
def test_secure_cookies(env: Environment, configured: bool | None, secure: bool) -> None:
    assert Settings(env=env, cookie_secure=configured).secure_cookies is secure


def test_settings_read_fr_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FR_ENV", "prod")
    monkeypatch.setenv("FR_DATABASE_URL", "postgres://h/db")
    monkeypatch.setenv("FR_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.env is Environment.PROD
    assert settings.database_url == "postgresql+psycopg://h/db"
    assert settings.data_dir == tmp_path


@pytest.mark.parametrize(
    "bad",
    [{"queue_name": "has space"}, {"port": 0}, {"port": 65536}, {"session_max_age_seconds": 0}, {"token_default_days": 367}],
)
def test_out_of_range_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        load_settings(**bad)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().port = 9000  # type: ignore[misc]


# check_production_ready -----------------------------------------------------------------


def test_dev_is_never_refused(tmp_path: Path) -> None:
    check_production_ready(Settings(data_dir=tmp_path))


def test_a_complete_prod_configuration_passes(tmp_path: Path) -> None:
    check_production_ready(ready(tmp_path))


def test_prod_with_an_existing_key_file_passes(tmp_path: Path) -> None:
    key_file = tmp_path / "master.keys"
    key_file.write_text("{}")
    check_production_ready(ready(tmp_path, master_key=None, master_key_file=key_file))


def test_prod_refuses_generated_keys(tmp_path: Path) -> None:
    assert "FR_MASTER_KEY or FR_MASTER_KEY_FILE must be set" in refusal(ready(tmp_path, master_key=None))


def test_prod_refuses_a_missing_key_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.keys"
    assert f"FR_MASTER_KEY_FILE {missing} does not exist" in refusal(ready(tmp_path, master_key=None, master_key_file=missing))


@pytest.mark.parametrize("secret", [None, SecretStr(""), SecretStr("x" * 31)], ids=["missing", "empty", "31-chars"])
def test_prod_refuses_a_short_or_missing_session_secret(tmp_path: Path, secret: SecretStr | None) -> None:
    assert "FR_SESSION_SECRET" in refusal(ready(tmp_path, session_secret=secret))


def test_prod_accepts_a_32_character_session_secret(tmp_path: Path) -> None:
    check_production_ready(ready(tmp_path, session_secret=SecretStr("x" * 32)))


def test_prod_refuses_insecure_cookies(tmp_path: Path) -> None:
    assert "cookies must be Secure" in refusal(ready(tmp_path, cookie_secure=False))


@pytest.mark.parametrize("url", [None, "sqlite+pysqlite:////var/lib/fr.db"], ids=["default", "explicit"])
def test_prod_refuses_sqlite(tmp_path: Path, url: str | None) -> None:
    assert "prod needs FR_DATABASE_URL pointing at PostgreSQL" in refusal(ready(tmp_path, database_url=url))


def test_prod_lists_every_problem_at_once(tmp_path: Path) -> None:
    message = refusal(ready(tmp_path, master_key=None, session_secret=None, cookie_secure=False, database_url=None))
    assert message.count(";") == 3
    for fragment in ("FR_MASTER_KEY", "FR_SESSION_SECRET", "Secure", "PostgreSQL"):
        assert fragment in message


def test_refusal_does_not_leak_the_secret(tmp_path: Path) -> None:
    message = refusal(ready(tmp_path, session_secret=SecretStr("leak-me")))
    assert "leak-me" not in message
