"""Login with an OpenID Connect provider: list the providers, send the browser to one,
and take it back on the callback, which answers with SkyClust tokens.

The login's state is bound to the browser that started it: `/login` sets it in an
HttpOnly cookie, and the callback is refused unless the cookie and the `state` parameter
agree. A callback URL sent to someone else (login CSRF: logging a victim into the
attacker's account) does not work in their browser."""

from __future__ import annotations

import hmac
import re

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from skyclust_common.errors import BadRequest

from ..envelope import ok
from ..errors import OidcLoginRefused, OidcStateInvalid
from ..permissions import public
from .deps import Svc

router = APIRouter(prefix="/api/v1/auth/oidc", tags=["auth"])

ProviderName = Path(min_length=1, max_length=64, description="a name from /auth/oidc/providers")
# OAuth error codes are short ASCII words; anything else in `error=` is not echoed.
_OAUTH_ERROR = re.compile(r"^[a-z_]{1,64}$")
# The authorization URL and the tokens are for this browser only.
NO_STORE = {"Cache-Control": "no-store"}
STATE_COOKIE = "skyclust_oidc_state"
COOKIE_PATH = "/api/v1/auth/oidc"
STATE_LIFETIME_SECONDS = 600  # as long as identity keeps a login's state usable


@router.get("/providers", dependencies=[Depends(public)], summary="OIDC providers")
async def providers(svc: Svc) -> JSONResponse:
    """The OIDC providers configured for login, by name."""
    return ok(await svc.call("identity", "ListOidcProviders", {}))


@router.get(
    "/{provider}/login",
    summary="OIDC login",
    status_code=302,
    response_class=RedirectResponse,
    dependencies=[Depends(public)],
    responses={302: {"description": "to the provider's login page"}},
)
async def login(
    request: Request,
    svc: Svc,
    provider: str = ProviderName,
    redirect_uri: str | None = Query(
        default=None,
        max_length=1024,
        description="where the provider sends the browser back (registered at the "
        "provider); by default this gateway's callback",
    ),
) -> RedirectResponse:
    """Start an OIDC login with that provider: a redirect to its authorization page, which
    sends the user back to the callback (see docs/oidc.md)."""
    callback = redirect_uri or str(request.url_for("oidc_callback", provider=provider))
    result = await svc.call(
        "identity", "StartOidcLogin", {"provider": provider, "redirect_uri": callback}
    )
    response = RedirectResponse(result["authorization_url"], status_code=302, headers=NO_STORE)
    # Lax: sent on the provider's top-level redirect back, not on cross-site subrequests.
    response.set_cookie(
        STATE_COOKIE,
        result["state"],
        max_age=STATE_LIFETIME_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/{provider}/callback", name="oidc_callback", dependencies=[Depends(public)])
async def callback(
    request: Request,
    svc: Svc,
    provider: str = ProviderName,
    code: str | None = Query(default=None, max_length=2048),
    state: str | None = Query(default=None, max_length=128),
    error: str | None = Query(default=None, max_length=256),
) -> JSONResponse:
    """The provider redirects here with `code` and `state` (or `error`), in the browser
    that went through `/login`: its state cookie must match `state`."""
    if error is not None:
        raise OidcLoginRefused(
            "the provider did not log you in",
            details={"error": error if _OAUTH_ERROR.match(error) else "unknown"},
        )
    if not state:
        raise OidcStateInvalid("the callback has no state")
    started = request.cookies.get(STATE_COOKIE) or ""
    if not hmac.compare_digest(started.encode(), state.encode()):
        raise OidcStateInvalid(
            "this login was not started in this browser; start it again",
            details={"reason": "other_browser"},
        )
    if not code:
        raise BadRequest("the callback has no code")
    result = await svc.call(
        "identity", "CompleteOidcLogin", {"provider": provider, "state": state, "code": code}
    )
    response = ok(result)
    response.headers.update(NO_STORE)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response
