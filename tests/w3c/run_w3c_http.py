#!/usr/bin/env python3
# ruff: noqa  (vendored unchanged from the W3C-test runner the project was given; only this line added)
"""Runs the W3C SPARQL 1.1 Protocol and Graph Store Protocol test manifests
(beside this file: sparql11-protocol/, sparql11-graph-store-protocol/) against a live HTTP endpoint.
Needs Python with rdflib and requests.

Usage:
  python run_w3c_http.py protocol sparql11-protocol/manifest.ttl --query-url URL [--update-url URL]
         --load-url GSP_URL [--token T | --user U --password P --auth digest|basic]
  python run_w3c_http.py gsp sparql11-graph-store-protocol/manifest.ttl --gsp-url URL
         [--reset-url UPDATE_URL] [--token T | --user/--password/--auth]

--load-url is a Graph Store endpoint (PUT ?graph=IRI) used to put the test data in place first.
Prints one PASS/FAIL line a test, then "N passed, M failed".

The manifests describe each request with the W3C HTTP-in-RDF vocabulary
(ht:methodName, ht:absolutePath, ht:headers, ht:body/cnt:chars with
cnt:characterEncoding) and the expected response with mf:expectedStatus
(hts:StatusCode2xx ... or exact codes such as hts:Created), mf:expectedFormat
("boolean" / "tabular" / "RDF"), mf:expectedBoolean, optional response
ht:headers (content-type) and ht:body (graph to compare by isomorphism), and
mf:expectedLocation ("$LOCATION$" template for POST graph creation).
"""
import argparse, json, sys, urllib.parse
import requests
from requests.auth import HTTPDigestAuth, HTTPBasicAuth
from rdflib import Graph, Namespace, RDF, Literal
from rdflib.collection import Collection
from rdflib.compare import isomorphic

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

# hts: names used by the manifests -> acceptable codes
NAMED = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404},
         "BadRequest": {400}}
BOOL_TYPES = {"application/sparql-results+xml", "application/sparql-results+json"}
TAB_TYPES = BOOL_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle",
             "application/n-triples": "nt", "text/plain": "nt",
             "application/ld+json": "json-ld", "application/n-quads": "nquads",
             "application/trig": "trig", "text/html": None, "application/xhtml+xml": None}


def short(u):
    return str(u).split("#")[-1]


def status_ok(code, expected):
    for e in expected:
        n = short(e)
        if n.startswith("StatusCode") and n.endswith("xx"):
            if code // 100 == int(n[len("StatusCode")]):
                return True
        elif code in NAMED.get(n, set()):
            return True
    return False


def ctype(resp):
    return resp.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_boolean(resp):
    ct = ctype(resp)
    if ct == "application/sparql-results+json":
        return resp.json().get("boolean")
    if ct == "application/sparql-results+xml":
        import xml.etree.ElementTree as ET
        el = ET.fromstring(resp.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return None if el is None else el.text.strip() == "true"
    return None


def req_list(g, test):
    return list(Collection(g, g.value(g.value(test, MF.action), HT.requests)))


def headers_of(g, node):
    hl = g.value(node, HT.headers)
    return [(str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue)))
            for h in Collection(g, hl)] if hl is not None else []


def body_of(g, node):
    b = g.value(node, HT.body)
    if b is None:
        return None, None
    chars = g.value(b, CNT.chars)
    enc = str(g.value(b, CNT.characterEncoding) or "UTF-8")
    return str(chars), enc


class FakeResp:
    """Stands in for a response when the request timed out or the connection failed."""
    def __init__(self, e):
        self.status_code, self.headers, self.content = 0, {}, b""
        self.text = f"{type(e).__name__}"


class Runner:
    timeout = 5

    def __init__(self, auth):
        self.s = requests.Session()
        # send only the headers the manifest lists (no default Accept: */*)
        del self.s.headers["Accept"]
        del self.s.headers["Accept-Encoding"]
        self.auth = auth

    def send(self, method, url, headers, data):
        # a fresh session (so a fresh TCP connection) per request: no keep-alive state
        # leaks from one test request into the next
        self.s = requests.Session()
        del self.s.headers["Accept"]
        del self.s.headers["Accept-Encoding"]
        req = requests.Request(method, url, headers=dict(headers), data=data, auth=self.auth)
        prep = self.s.prepare_request(req)
        prep.url = url  # keep the manifest's exact percent-encoding
        try:
            return self.s.send(prep, allow_redirects=False, timeout=self.timeout)
        except requests.exceptions.RequestException as e:
            return FakeResp(e)


def rebase(path, prefix, target):
    """/sparql/?a=b -> target?a=b ; /gsp/person/1.ttl -> target/person/1.ttl"""
    assert path.startswith(prefix), path
    rest = path[len(prefix):]
    if rest.startswith("/") and prefix == "/sparql":
        rest = rest[1:]
    if rest.startswith("?") and "?" in target:
        rest = "&" + rest[1:]
    return target + rest


def run_protocol(args):
    g = Graph(); g.parse(args.manifest[0], format="turtle", publicID="file://" + args.manifest[0])
    man = next(g.subjects(RDF.type, MF.Manifest))
    auth = make_auth(args)
    r = Runner(auth)
    results = []
    for t in Collection(g, g.value(man, MF.entries)):
        # setup: named graphs listed as ut:graphData (file + rdfs:label graph IRI)
        for gd in g.objects(t, UT.graphData):
            src = str(g.value(gd, UT.graph))[7:]
            iri = str(g.value(gd, RDFS.label))
            data = open(src, "rb").read()
            u = args.load_url + ("&" if "?" in args.load_url else "?") + "graph=" + urllib.parse.quote(iri, safe="")
            lr = r.send("PUT", u, [("Content-Type", "application/n-triples")], data)
            if lr.status_code >= 300:
                print("  setup load failed", lr.status_code, lr.text[:200])
        ok, why = True, []
        for q in req_list(g, t):
            method = str(g.value(q, HT.methodName))
            path = str(g.value(q, HT.absolutePath))
            hdrs = headers_of(g, q)
            body, enc = body_of(g, q)
            is_update = ("update" in path) or any("sparql-update" in v for _, v in hdrs) or (body or "").startswith("update=")
            base = args.update_url if (is_update and args.update_url) else args.query_url
            url = rebase(path, "/sparql", base)
            data = body.encode(enc.lower().replace("utf-16", "utf-16")) if body is not None else None
            resp = r.send(method, url, hdrs, data)
            exp = g.value(q, HT.resp)
            sts = list(g.objects(exp, MF.expectedStatus))
            if not status_ok(resp.status_code, sts):
                ok = False; why.append(f"{method} status {resp.status_code} not in {[short(s) for s in sts]}: {resp.text[:120]!r}")
                break
            fmt = g.value(exp, MF.expectedFormat)
            ct = ctype(resp)
            if fmt is not None:
                allowed = {"boolean": BOOL_TYPES, "tabular": TAB_TYPES, "RDF": set(RDF_TYPES)}[str(fmt)]
                if ct not in allowed:
                    ok = False; why.append(f"content-type {ct!r} not allowed for {fmt}")
            eb = g.value(exp, MF.expectedBoolean)
            if eb is not None and parse_boolean(resp) != eb.toPython():
                ok = False; why.append(f"boolean {parse_boolean(resp)} != {eb}")
        results.append((short(t), ok, "; ".join(why)))
    report(results)


def run_gsp(args):
    auth = make_auth(args)
    r = Runner(auth)
    results = []
    for mpath in args.manifest:
        g = Graph(); g.parse(mpath, format="turtle", publicID="file://" + mpath)
        man = next(g.subjects(RDF.type, MF.Manifest))
        for t in Collection(g, g.value(man, MF.entries)):
            reqs = [short(x) for x in g.objects(t, MF.requires)]
            if args.skip_direct and "DirectGraphIdentification" in reqs:
                results.append((short(t), None, "skipped (direct identification)")); continue
            vars_ = {}
            ok, why = True, []
            if args.reset_url:  # each test starts from an empty store
                rr = requests.post(args.reset_url, data=args.reset_update.encode(), auth=make_auth(args),
                                   headers={"Content-Type": "application/sparql-update"}, timeout=10)
                assert rr.status_code < 300, (rr.status_code, rr.headers, rr.text)
            for q in req_list(g, t):
                method = str(g.value(q, HT.methodName))
                path = str(g.value(q, HT.absolutePath))
                hdrs = headers_of(g, q)
                body, enc = body_of(g, q)
                for k, v in vars_.items():
                    path = path.replace(k, urllib.parse.quote(v, safe=""))
                    body = body.replace(k, v) if body else body
                url = rebase(path, "/gsp", args.gsp_url)
                resp = r.send(method, url, hdrs, body.encode(enc) if body is not None else None)
                exp = g.value(q, HT.resp)
                sts = list(g.objects(exp, MF.expectedStatus))
                if not status_ok(resp.status_code, sts):
                    ok = False; why.append(f"{method} {path}: status {resp.status_code} not in {[short(s) for s in sts]}")
                    break
                loc = g.value(exp, MF.expectedLocation)
                if loc is not None:
                    if "location" not in resp.headers:
                        ok = False; why.append("no Location header"); break
                    vars_[str(loc)] = urllib.parse.urljoin(url, resp.headers["location"])
                for name, val in headers_of(g, exp):
                    if name.lower() == "content-type" and ctype(resp) != val.split(";")[0].strip().lower():
                        ok = False; why.append(f"{method}: content-type {ctype(resp)!r} != {val!r}")
                eb, _ = body_of(g, exp)
                if eb is not None and method != "HEAD":
                    fmt = RDF_TYPES.get(ctype(resp)) or "turtle"
                    try:
                        got = Graph().parse(data=resp.content, format=fmt, publicID=url)
                        want = Graph().parse(data=eb, format="turtle")
                        if not isomorphic(got, want):
                            ok = False; why.append(f"GET {path}: graph not isomorphic ({len(got)} vs {len(want)} triples)")
                    except Exception as e:  # noqa
                        ok = False; why.append(f"parse error {e}")
            results.append((short(t), ok, "; ".join(why)))
    report(results)


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.token
        return r


def make_auth(args):
    if getattr(args, "token", None):
        return BearerAuth(args.token)
    if not args.user:
        return None
    return (HTTPDigestAuth if args.auth == "digest" else HTTPBasicAuth)(args.user, args.password)


def report(results):
    for name, ok, why in results:
        print(f"{'PASS' if ok else ('SKIP' if ok is None else 'FAIL')} {name} {why}")
    p = sum(1 for _, ok, _ in results if ok); f = sum(1 for _, ok, _ in results if ok is False)
    print(f"{p} passed, {f} failed")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["protocol", "gsp"])
    ap.add_argument("manifest", nargs="+")
    ap.add_argument("--query-url"); ap.add_argument("--update-url"); ap.add_argument("--load-url")
    ap.add_argument("--gsp-url"); ap.add_argument("--skip-direct", action="store_true")
    ap.add_argument("--reset-url", help="SPARQL Update URL that gets --reset-update before each GSP test")
    ap.add_argument("--reset-update", default="DROP SILENT ALL")
    ap.add_argument("--token", help="bearer token for writes"); ap.add_argument("--user"); ap.add_argument("--password"); ap.add_argument("--auth", default="digest")
    a = ap.parse_args()
    (run_protocol if a.kind == "protocol" else run_gsp)(a)
