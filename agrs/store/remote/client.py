"""HTTP to a SPARQL 1.1 server: queries and updates (built by SPARQLWrapper), Graph Store uploads, auth, retries.

SPARQLWrapper builds the protocol requests (a form POST with `query=` or `update=`, the dataset as
`default-graph-uri` / `named-graph-uri`, basic auth and custom headers); this client sends them with its own
urllib opener, so that digest credentials belong to this client (SPARQLWrapper would install them as the
process-wide opener) and so that retries, timeouts and the servers' answers are handled in one place.

Never a direct `application/sparql-query` POST: Virtuoso 7.2 hangs on it. Transient failures (connection
refused or reset, 429, 502, 503, 504) are retried with exponential back-off; a timeout never is (QueryTimeout:
the server may still be running the request). Connection reuse: measured on loopback, a new connection
per request costs nothing measurable beside the request itself (see the H14 report), so urllib's one connection
per request is kept.
"""

import email.utils
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass

from SPARQLWrapper import BASIC, JSON, POST, URLENCODED, SPARQLWrapper

from agrs import __version__
from agrs.store.errors import QueryError, QueryTimeout, StoreError, StoreIOError, TruncatedResults
from agrs.store.location import RemoteLocation

ATTEMPTS = 5  # tries of one request on a transient failure
BACKOFF = 0.25  # seconds before the first retry; doubled each time
BACKOFF_LIMIT = 8.0
RETRY_STATUSES = (429, 502, 503, 504)
SHOWN = 600  # characters of a server's error message quoted in ours
#: the dataset placeholder naming no stored graph: an empty default graph, no named graph (the protocol's
#: "no default-graph-uri" would mean the server's own default graph: on Virtuoso, every graph it holds)
EMPTY_GRAPH = "urn:x-agrs:empty-graph"
AGENT = f"agrs/{__version__} (SPARQLWrapper)"

RESULTS_JSON = "application/sparql-results+json"
GRAPH_TYPES = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"


@dataclass
class Answer:
    """An HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class SparqlClient:
    """The HTTP side of a remote store: one per RemoteLocation (thread-safe: no shared connection)."""

    def __init__(self, location: RemoteLocation):
        self.location = location
        self.server: str | None = None  # the Server header of the first answer
        self.requests = 0
        handlers: list = []
        if location.auth_kind == "digest":
            if not (location.user and location.password):
                raise StoreError(f"digest auth for {location.describe()} needs a user and AGRS_STORE_PASSWORD")
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {location.query_url, location.updates, location.graph_store_url} - {None}:
                passwords.add_password(None, url, location.user, location.password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        self._opener = urllib.request.build_opener(*handlers)

    # --- SPARQL protocol ---------------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        default: list[str] | None,
        named: list[str] | None,
        *,
        accept: str = RESULTS_JSON,
        form: str = "SELECT",
    ) -> Answer:
        """POST a query (form-encoded) over the dataset `default` / `named` (stored graph names); return the answer."""
        wrapper = self._wrapper()
        wrapper.setQuery(sparql)
        # SPARQLWrapper guesses the form from the text, and a guessed update would go to the update URL: not here.
        wrapper.queryType = form
        if default is not None or named is not None:  # None, None: the server's dataset (internal GRAPH <…> reads)
            for name in default or [EMPTY_GRAPH]:
                wrapper.addDefaultGraph(name)
            for name in named or [EMPTY_GRAPH]:
                wrapper.addNamedGraph(name)
        wrapper.addCustomHttpHeader("Accept", accept)
        return self._send(wrapper, idempotent=True, what="query")

    def update(self, sparql: str) -> Answer:
        """POST a SPARQL update (form-encoded `update=`) to the update endpoint."""
        wrapper = self._wrapper()
        wrapper.setQuery(sparql)
        wrapper.queryType = "INSERT"  # not SPARQLWrapper's guess: a text it misreads would go as a query
        return self._send(wrapper, idempotent=False, what="update")

    def _wrapper(self) -> SPARQLWrapper:
        location = self.location
        wrapper = SPARQLWrapper(location.query_url, updateEndpoint=location.updates, agent=AGENT)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setReturnFormat(JSON)
        wrapper.setOnlyConneg(True)  # no format=/output= parameters: the Accept header says it
        wrapper.setTimeout(int(max(1, location.timeout)))
        kind = location.auth_kind
        if kind == "basic":
            if location.user is None or location.password is None:
                raise StoreError(f"basic auth for {location.describe()} needs a user and AGRS_STORE_PASSWORD")
            wrapper.setHTTPAuth(BASIC)
            wrapper.setCredentials(location.user, location.password)
        elif kind == "bearer":
            if not location.token:
                raise StoreError(f"bearer auth for {location.describe()} needs AGRS_STORE_TOKEN")
            wrapper.addCustomHttpHeader("Authorization", f"Bearer {location.token}")
        return wrapper

    def _send(self, wrapper: SPARQLWrapper, *, idempotent: bool, what: str) -> Answer:
        with warnings.catch_warnings():  # its Accept header for CONSTRUCT: replaced by ours (custom headers win)
            warnings.simplefilter("ignore", RuntimeWarning)
            request = wrapper._createRequest()  # SPARQLWrapper's request; sent with this client's opener
        return self._open(request, idempotent=idempotent, what=what)

    # --- Graph Store Protocol ------------------------------------------------------------------------------

    def graph_store_post(self, graph: str, ntriples: bytes) -> Answer:
        """Add N-Triples to `graph` through the Graph Store Protocol (POST ?graph=…)."""
        url = self.location.graph_store_url
        assert url is not None
        separator = "&" if "?" in url else "?"
        request = urllib.request.Request(
            f"{url}{separator}{urllib.parse.urlencode({'graph': graph})}", data=ntriples, method="POST",
            headers={"Content-Type": "application/n-triples", "User-Agent": AGENT},
        )  # fmt: skip
        self._authorise(request)
        # Not idempotent in general, but adding the same triples twice is harmless (a graph is a set).
        return self._open(request, idempotent=True, what="upload")

    def _authorise(self, request: urllib.request.Request) -> None:
        location = self.location
        kind = location.auth_kind
        if kind == "basic" and location.user is not None and location.password is not None:
            import base64

            pair = base64.b64encode(f"{location.user}:{location.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {pair}")
        elif kind == "bearer" and location.token:
            request.add_header("Authorization", f"Bearer {location.token}")

    # --- sending -------------------------------------------------------------------------------------------

    def _open(self, request: urllib.request.Request, *, idempotent: bool, what: str) -> Answer:
        """Send `request`, retrying transient failures; return the answer or raise a StoreError saying why."""
        url = request.full_url.split("?")[0]
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            last = attempt == ATTEMPTS
            try:
                with self._opener.open(request, timeout=self.location.timeout) as response:
                    answer = Answer(response.status, _headers(response.headers), response.read())
            except urllib.error.HTTPError as error:
                answer = Answer(error.code, _headers(error.headers), _read(error))
                # A 504 may come from a proxy after the server applied an update: only queries are sent again.
                transient = answer.status in RETRY_STATUSES and (idempotent or answer.status != 504)
                if transient and not last:
                    time.sleep(_retry_after(answer, delay))
                    delay = min(delay * 2, BACKOFF_LIMIT)
                    continue
                self._note_server(answer)
                raise self._http_error(answer, url, what) from None
            except (TimeoutError, OSError) as error:  # URLError is an OSError; so are resets and refusals
                reason = getattr(error, "reason", error)
                if isinstance(error, TimeoutError) or isinstance(reason, TimeoutError) or "timed out" in str(reason):
                    # Not transient: the server may still be running it; sending it again would only add load.
                    raise QueryTimeout(
                        f"the SPARQL store at {url} did not answer the {what} within {self.location.timeout:g} s "
                        "(AGRS_STORE_TIMEOUT sets the limit)"
                    ) from None
                if last:
                    raise StoreIOError(f"cannot reach the SPARQL store at {url}: {_reason(reason)}") from None
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_LIMIT)
                continue
            self.requests += 1
            self._note_server(answer)
            if "x-sparql-maxrows" in answer.headers:
                raise TruncatedResults(
                    f"the SPARQL store at {url} cut the results at {answer.headers['x-sparql-maxrows']} rows "
                    "(X-SPARQL-MaxRows): AGRS never uses a truncated answer. Raise the server's limit (Virtuoso: "
                    "ResultSetMaxRows in the [SPARQL] section of virtuoso.ini; config/virtuoso/virtuoso.ini does)"
                )
            return answer
        raise AssertionError("unreachable")

    def _note_server(self, answer: Answer) -> None:
        if self.server is None:
            self.server = answer.headers.get("server", "")

    def _http_error(self, answer: Answer, url: str, what: str) -> StoreError:
        from agrs.store.remote import quirks

        message = _text(answer.body)
        status = answer.status
        if status in (401, 403):
            who = f"user {self.location.user!r}" if self.location.user else "no credentials"
            return StoreError(
                f"the SPARQL store at {url} refused the {what} (HTTP {status}, {who}, auth "
                f"{self.location.auth_kind or 'none'}): set --store-user / AGRS_STORE_USER and AGRS_STORE_PASSWORD "
                f"(or AGRS_STORE_TOKEN), and --store-auth basic|digest|bearer as the server wants"
            )
        if status == 404:
            return StoreError(f"no SPARQL {what} endpoint at {url} (HTTP 404): check the store URL")
        if status == 400 or quirks.is_query_error(status, message):
            return QueryError(f"the SPARQL store at {url} refused the {what}: {message}")
        if status == 413 or status == 414:
            return StoreError(f"the {what} is too large for the SPARQL store at {url} (HTTP {status}): {message}")
        return StoreIOError(f"the SPARQL store at {url} failed the {what} (HTTP {status}): {message}")


def _headers(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers.items() if headers is not None else [])}


def _read(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except OSError:
        return b""


def _text(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _reason(reason) -> str:
    return getattr(reason, "strerror", None) or str(reason)


def _retry_after(answer: Answer, delay: float) -> float:
    """The delay before retrying: the server's Retry-After when it gives one (seconds or a date), capped."""
    value = answer.headers.get("retry-after")
    if value:
        try:
            return min(float(value), BACKOFF_LIMIT)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            if when is not None:
                return max(0.0, min(when.timestamp() - time.time(), BACKOFF_LIMIT))
    return delay
