"""OpenID Connect relying party: the client that talks to each configured provider
(discovery, token endpoint, JWKS, userinfo). Everything a provider can do wrong is
translated here into the OIDC_* errors."""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

from ..domain.errors import OidcProviderUnavailable, OidcProviderUnknown, OidcTokenInvalid
from ..domain.oidc import VerifiedIdentity, identity_from_claims, pkce_challenge
from .oidc_config import OidcProviderConfig, OidcSettings, check_endpoint_url

__all__ = ["OidcProvider", "OidcProviders", "OidcSettings", "pkce_challenge"]

log = logging.getLogger(__name__)

# Asymmetric only: an HS256 token would be "signed" with the client secret, and `none`
# with nothing.
ALGORITHMS = ("RS256", "ES256", "EdDSA")
DISCOVERY_TTL_SECONDS = 3600.0
# A token signed by a key we have not seen triggers a JWKS refetch (key rotation), but
# not more often than this, so forged `kid`s cannot make us hammer the provider.
JWKS_REFETCH_SECONDS = 30.0
CLOCK_LEEWAY_SECONDS = 30


def _refused(reason: str, message: str) -> OidcTokenInvalid:
    return OidcTokenInvalid(
        f"the provider's answer was refused: {message}", details={"reason": reason}
    )


def _unavailable(provider: str, message: str) -> OidcProviderUnavailable:
    return OidcProviderUnavailable(message, details={"provider": provider})


@dataclass(frozen=True)
class Discovery:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...]


class OidcProvider:
    """One configured provider."""

    def __init__(self, name: str, config: OidcProviderConfig, http: httpx.AsyncClient) -> None:
        self.name = name
        self.config = config
        self._http = http
        self._discovery: Discovery | None = None
        self._discovered_at = 0.0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_fetched_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def issuer(self) -> str:
        return self.config.issuer

    async def _get_json(self, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.get(url, **kwargs)
        except httpx.HTTPError as exc:
            log.warning(
                "OIDC provider unreachable",
                extra={"provider": self.name, "what": what, "error": type(exc).__name__},
            )
            raise _unavailable(self.name, f"the {self.name} provider cannot be reached") from None
        if response.status_code != 200:
            log.warning(
                "OIDC provider error",
                extra={"provider": self.name, "what": what, "status": response.status_code},
            )
            raise _unavailable(self.name, f"the {self.name} provider answered with an error")
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise _unavailable(self.name, f"the {self.name} provider's {what} is not JSON")
        return document

    async def discovery(self) -> Discovery:
        """The discovery document, fetched once an hour (OpenID Connect Discovery 1.0)."""
        if self._discovery and time.monotonic() - self._discovered_at < DISCOVERY_TTL_SECONDS:
            return self._discovery
        async with self._lock:
            if self._discovery and time.monotonic() - self._discovered_at < DISCOVERY_TTL_SECONDS:
                return self._discovery
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                document = await self._get_json(url, "discovery document")
            except OidcProviderUnavailable:
                if self._discovery is None:
                    raise
                # Endpoints rarely move: an old document beats refusing every login while
                # the provider's discovery endpoint has a bad moment. Ask again in a minute.
                self._discovered_at = time.monotonic() - DISCOVERY_TTL_SECONDS + 60
                return self._discovery
            self._discovery = self._parse_discovery(document)
            self._discovered_at = time.monotonic()
            return self._discovery

    def _parse_discovery(self, document: dict[str, Any]) -> Discovery:
        broken = _unavailable(
            self.name, f"the {self.name} provider's discovery document is invalid"
        )
        # Discovery 4.3: the document must be the issuer's own, or tokens could be
        # accepted from whoever serves it.
        if document.get("issuer") != self.issuer:
            log.error("OIDC discovery issuer mismatch", extra={"provider": self.name})
            raise broken
        try:
            endpoints = {
                key: check_endpoint_url(str(document[key]))
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            }
            userinfo = document.get("userinfo_endpoint")
            if userinfo is not None:
                userinfo = check_endpoint_url(str(userinfo))
        except (KeyError, ValueError):
            log.error("OIDC discovery document incomplete", extra={"provider": self.name})
            raise broken from None
        advertised = document.get("id_token_signing_alg_values_supported") or list(ALGORITHMS)
        algorithms = tuple(a for a in ALGORITHMS if a in advertised)
        if not algorithms:
            log.error(
                "OIDC provider signs with no algorithm we accept", extra={"provider": self.name}
            )
            raise broken
        methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        return Discovery(
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            userinfo_endpoint=userinfo,
            algorithms=algorithms,
            auth_methods=tuple(str(m) for m in methods),
        )

    async def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str, redirect_uri: str
    ) -> str:
        endpoint = (await self.discovery()).authorization_endpoint
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.config.scopes),
                "state": state,
                "nonce": nonce,
                "code_challenge": pkce_challenge(code_verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def redeem(
        self, *, code: str, code_verifier: str, redirect_uri: str, nonce: str
    ) -> VerifiedIdentity:
        """Exchange the code, verify the ID token, and say who logged in."""
        discovery = await self.discovery()
        tokens = await self._exchange(discovery, code, code_verifier, redirect_uri)
        claims = await self._verify_id_token(discovery, tokens["id_token"], nonce)
        access_token = tokens.get("access_token")
        if "email" not in claims and discovery.userinfo_endpoint and isinstance(access_token, str):
            # Some providers leave the email out of the ID token and give it here.
            info = await self._userinfo(discovery.userinfo_endpoint, access_token)
            # OIDC Core 5.3.2: a userinfo answer about another subject must not be used.
            if info.get("sub") != claims["sub"]:
                raise _refused("userinfo_subject", "the userinfo answer is about another user")
            claims = {**info, **claims}
        return identity_from_claims(claims)

    async def _exchange(
        self, discovery: Discovery, code: str, code_verifier: str, redirect_uri: str
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        client_id = self.config.client_id
        secret = self.config.client_secret.get_secret_value()
        headers = {"Accept": "application/json"}
        methods = discovery.auth_methods
        if "client_secret_basic" in methods or "client_secret_post" not in methods:
            # RFC 6749 2.3.1: both parts are form-encoded before going into Basic.
            pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form.update({"client_id": client_id, "client_secret": secret})
        try:
            response = await self._http.post(discovery.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            log.warning(
                "OIDC token endpoint unreachable",
                extra={"provider": self.name, "error": type(exc).__name__},
            )
            raise _unavailable(self.name, f"the {self.name} provider cannot be reached") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        if response.status_code == 200:
            if not isinstance(body.get("id_token"), str):
                raise _refused("no_id_token", "the provider sent no ID token")
            return body
        error = str(body.get("error", ""))[:64]
        if response.status_code in (400, 401) and error in (
            "invalid_client",
            "unauthorized_client",
        ):
            # Our client id or secret is wrong: an operator's problem, not the user's.
            log.error("OIDC provider refused our client credentials", extra={"provider": self.name})
            raise _unavailable(self.name, f"the {self.name} provider refused SkyClust's client")
        if response.status_code == 400:
            raise _refused("code_rejected", "the authorization code was not accepted")
        log.warning(
            "OIDC token endpoint error",
            extra={"provider": self.name, "status": response.status_code},
        )
        raise _unavailable(self.name, f"the {self.name} provider answered with an error")

    async def _signing_key(self, discovery: Discovery, kid: str | None, alg: str) -> jwt.PyJWK:
        key = self._pick_key(kid, alg)
        fetched = self._keys_fetched_at
        if key is None and (fetched is None or time.monotonic() - fetched > JWKS_REFETCH_SECONDS):
            document = await self._get_json(discovery.jwks_uri, "JWKS")
            try:
                keyset = jwt.PyJWKSet.from_dict(document)
            except jwt.PyJWTError:
                raise _unavailable(
                    self.name, f"the {self.name} provider's JWKS is invalid"
                ) from None
            self._keys = {
                str(k.key_id or ""): k for k in keyset.keys if k.public_key_use in (None, "sig")
            }
            self._keys_fetched_at = time.monotonic()
            key = self._pick_key(kid, alg)
        if key is None:
            raise _refused("unknown_key", "the ID token is signed by an unknown key")
        return key

    def _pick_key(self, kid: str | None, alg: str) -> jwt.PyJWK | None:
        if kid is not None:
            key = self._keys.get(kid)
        else:
            # No kid: acceptable only when exactly one key could have signed it.
            usable = [k for k in self._keys.values() if k.algorithm_name == alg]
            key = usable[0] if len(usable) == 1 else None
        if key is not None and key.algorithm_name != alg:
            return None
        return key

    async def _verify_id_token(
        self, discovery: Discovery, token: str, nonce: str
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused("malformed", "the ID token is malformed") from None
        alg = header.get("alg")
        if alg not in discovery.algorithms:
            raise _refused("algorithm", "the ID token's algorithm is not accepted")
        kid = header.get("kid")
        key = await self._signing_key(discovery, kid if isinstance(kid, str) else None, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.config.client_id,
                issuer=self.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("expired", "the ID token has expired") from None
        except jwt.InvalidAudienceError:
            raise _refused("audience", "the ID token is for another client") from None
        except jwt.InvalidIssuerError:
            raise _refused("issuer", "the ID token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise _refused("signature", "the ID token's signature does not verify") from None
        except jwt.ImmatureSignatureError:
            raise _refused("not_yet_valid", "the ID token is not valid yet") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise _refused("invalid", "the ID token is invalid") from None
        # OIDC Core 3.1.3.7: with several audiences, the authorized party must be us.
        azp = claims.get("azp")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (azp is not None or len(audiences) > 1) and azp != self.config.client_id:
            raise _refused("audience", "the ID token is for another client")
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got, nonce):
            raise _refused("nonce", "the ID token's nonce does not match this login")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not 0 < len(subject) <= 255:
            raise _refused("invalid", "the ID token's subject is invalid")
        return claims

    async def _userinfo(self, endpoint: str, access_token: str) -> dict[str, Any]:
        info = await self._get_json(
            endpoint, "userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        return {k: info[k] for k in ("sub", "email", "email_verified", "name") if k in info}


class OidcProviders:
    """Every configured provider, sharing one HTTP client."""

    def __init__(self, settings: OidcSettings, *, http: httpx.AsyncClient | None = None) -> None:
        self._http = http or httpx.AsyncClient(
            timeout=settings.oidc_http_timeout_seconds, follow_redirects=False
        )
        self._providers = {
            name: OidcProvider(name, config, self._http)
            for name, config in sorted(settings.oidc_providers.items())
        }

    def get(self, name: str) -> OidcProvider:
        try:
            return self._providers[name]
        except KeyError:
            raise OidcProviderUnknown(
                "no such OIDC provider", details={"provider": name[:64]}
            ) from None

    def __iter__(self) -> Iterator[OidcProvider]:
        return iter(self._providers.values())

    async def aclose(self) -> None:
        await self._http.aclose()
