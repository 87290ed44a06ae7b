"""Who may write: nobody unless a write token is configured, then whoever sends `Authorization: Bearer <token>`.

HTTP Basic with the token as password (any user name) is accepted too: Semantic MediaWiki's SPARQLStore
connectors cannot send a bearer token, only the user info of their endpoint URLs (`http://smw:TOKEN@host/…`).

Reads (GET, HEAD) never come here: what a token may read is agrs.server.access's business (its roles; a
token of the access file with the `write` role may write too). Every write handler (SPARQL Update, Graph Store
PUT/POST/DELETE) calls `write_refusal()` first and returns its answer when there is one.
"""

from flask import Response, request

from agrs.server.config import TOKEN_ENV
from agrs.server.runtime import runtime

SCHEME = "Bearer"


def write_refusal() -> Response | None:
    """Return the 401/403 answer that refuses the current request's write, or None when it may write.

    403 when writes are disabled (no token configured) or the token is wrong; 401 with `WWW-Authenticate: Bearer`
    when no bearer token was sent.
    """
    from agrs.server.access import WRITE, policy

    token = runtime().config.write_token
    if not token and not policy().writers:
        return _refuse(
            403,
            "writes are disabled on this server: start it with `agrs serve --write-token TOKEN` "
            f"(or set ${TOKEN_ENV}), then send `Authorization: Bearer TOKEN`",
        )
    sent = sent_token()
    if sent is None:
        return _refuse(401, "this write needs `Authorization: Bearer <token>` (the server's write token)")
    # compare_digest (in roles_of): the time taken must not tell how much of a guessed token was right.
    if WRITE not in (policy().roles_of(sent, token) or ()):
        return _refuse(403, "the bearer token is not this server's write token")
    return None


def sent_token() -> str | None:
    """The token the current request sent: a bearer token, or an HTTP Basic password; None when none."""
    header = request.headers.get("Authorization", "")
    sent = _bearer(header)
    return _basic_password(header) if sent is None else sent


def _bearer(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != SCHEME.lower() or not value.strip():
        return None
    return value.strip()


def _basic_password(header: str) -> str | None:
    """The password of an HTTP Basic header (the user name is not read), or None."""
    import base64
    import binascii

    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon and password else None


def _refuse(status: int, message: str) -> Response:
    answer = Response(message + "\n", status=status, mimetype="text/plain")
    if status == 401:
        answer.headers["WWW-Authenticate"] = f'{SCHEME} realm="agrs", Basic realm="agrs"'
    elif _bearer(request.headers.get("Authorization", "")) is not None:
        answer.headers["WWW-Authenticate"] = f'{SCHEME} realm="agrs", error="invalid_token"'
    return answer
