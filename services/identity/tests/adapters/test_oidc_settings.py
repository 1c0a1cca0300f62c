"""OIDC providers read from the environment, and each way their configuration can be wrong."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from skyclust_identity.adapters.oidc import OidcSettings

pytestmark = pytest.mark.integration


def test_providers_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "SKYCLUST_OIDC_PROVIDERS",
        json.dumps(
            {
                "google": {
                    "issuer": "https://accounts.google.com",
                    "client_id": "g",
                    "client_secret": "g-secret",
                },
                "dex": {
                    "issuer": "http://localhost:5556/dex",
                    "client_id": "d",
                    "client_secret": "d-secret",
                    "scopes": ["openid", "email"],
                },
            }
        ),
    )
    settings = OidcSettings()
    assert sorted(settings.oidc_providers) == ["dex", "google"]
    assert settings.oidc_providers["dex"].scopes == ("openid", "email")
    assert settings.oidc_providers["google"].client_secret.get_secret_value() == "g-secret"
    assert "g-secret" not in repr(settings)
    # Without the variable OIDC login is simply off.
    monkeypatch.delenv("SKYCLUST_OIDC_PROVIDERS")
    assert OidcSettings().oidc_providers == {}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"issuer": "http://idp.example.com", "client_id": "c", "client_secret": "x1"}, "issuer"),
        ({"issuer": "https://idp.example.com", "client_id": "c"}, "client_secret"),
        ({"issuer": "https://idp.example.com", "client_secret": "x1"}, "client_id"),
        (
            {
                "issuer": "https://idp.example.com",
                "client_id": "c",
                "client_secret": "x1",
                "scopes": ["email"],
            },
            "scopes",
        ),
        (
            {"issuer": "https://idp.example.com", "client_id": "c", "client_secret": "x1", "x": 1},
            "x",
        ),
    ],
)
def test_bad_provider_config_fails_naming_the_field_not_the_secret(monkeypatch, entry, field):
    monkeypatch.setenv("SKYCLUST_OIDC_PROVIDERS", json.dumps({"corp": entry}))
    with pytest.raises(ValidationError) as info:
        OidcSettings()
    assert f"oidc_providers.corp.{field}" in str(info.value)
    assert "x1" not in str(info.value)


def test_a_provider_name_must_fit_a_url_path(monkeypatch):
    monkeypatch.setenv(
        "SKYCLUST_OIDC_PROVIDERS",
        json.dumps(
            {"Bad Name": {"issuer": "https://i.example", "client_id": "c", "client_secret": "s"}}
        ),
    )
    with pytest.raises(ValidationError, match="oidc_providers"):
        OidcSettings()
