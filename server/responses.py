"""Plain-text answers, in one style for every route: the message, newline-terminated; errors are never cached."""

from flask import Response


def text_response(status: int, message: str, **headers: str) -> Response:
    """Return `message` as text/plain with `status`; an error (>= 400) carries `Cache-Control: no-store`."""
    answer = Response(message.rstrip("\n") + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status >= 400:
        answer.headers["Cache-Control"] = "no-store"
    answer.headers.update(headers)
    return answer
