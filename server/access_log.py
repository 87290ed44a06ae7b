"""The structured access log: one JSON object a line per request, on stderr (or another stream).

Fields: `time` (UTC, ISO 8601, ms), `method`, `path`, `status`, `bytes` (of the body sent, when known),
`duration_ms`, `kind` (for /sparql: "select", "ask", "construct", "update", or "query" when the query failed
before its kind was known; null for other routes), and `remote` (the client address). The query text is not
logged (it may be large or hold personal data).
"""

import json
import re
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TextIO

from flask import Flask, Response, g, request

KEY = "agrs.access_log"  # app.extensions key of the app's AccessLog


class AccessLog:
    """Where one app writes its access lines; `stream` None means stderr as it is when a line is written."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True):
        self.stream = stream
        self.enabled = enabled
        self._lock = threading.Lock()  # waitress serves from several threads: lines must not interleave

    def write(self, entry: dict) -> None:
        """Write `entry` as one JSON line."""
        if not self.enabled:
            return
        line = escape_separators(json.dumps(entry, ensure_ascii=False, separators=(",", ":"))) + "\n"
        stream = self.stream or sys.stderr
        with self._lock:
            try:
                stream.write(line)
                stream.flush()
            except (OSError, ValueError):  # a closed or full log stream must not fail the request
                pass


#: characters JSON may carry raw but a log reader must not see raw: DEL and the C1 controls (U+0085 is a line break
#: to some readers), the line and paragraph separators U+2028/U+2029 (line breaks to JavaScript and editors), and
#: the invisible format characters that reorder or hide text (bidi overrides, zero-width, BOM). json.dumps
#: already escapes the C0 controls.
UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def escape_separators(line: str) -> str:
    """Return a JSON text with the UNSAFE characters written as \\uXXXX escapes (still the same JSON value)."""
    return UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


def install(app: Flask, stream: TextIO | None = None) -> AccessLog:
    """Log every request of `app`; return the AccessLog (its `stream` and `enabled` may be changed later)."""
    log = AccessLog(stream)
    app.extensions[KEY] = log
    app.before_request(_start)
    app.after_request(_record)
    return log


def _start() -> None:
    g.agrs_started = time.perf_counter()


def _record(response: Response) -> Response:
    from flask import current_app

    log: AccessLog | None = current_app.extensions.get(KEY)
    if log is None or not log.enabled:  # `--access-log off`: not even the line's fields are computed
        return response
    started = g.get("agrs_started")
    duration = None if started is None else round((time.perf_counter() - started) * 1000, 1)
    log.write(
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "bytes": response.calculate_content_length(),
            "duration_ms": duration,
            "kind": g.get("agrs_query_kind"),
            "remote": request.remote_addr,
        }
    )
    return response
