"""The commons loader: pages of ADEME's resilience-commons wiki (Semantic MediaWiki), one page per record.

It reads a wiki page in two forms: the RDF/XML of `Special:ExportRDF` (swivt vocabulary, property IRIs
`…/Special:URIResolver/Property-3A<name>`), and the page's fields as text (`Défi : …`, `Tags : …`, as the wiki
shows them and seed 004 quotes them). Each page becomes an `agrs:ResilienceCommons` with its challenges,
related commons, tags, categories, themes, development level, sought resources, requested funding, files and
people (contributors, referents, ADEME referents). Controlled values are matched against the concept schemes of
ontology/modules/ademe-commons.ttl; whether a related commons exists is the gate's business.
"""

import re
import xml.sax
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import BNode, Node

from agrs.loaders.base import FromOntology, Loader
from agrs.loaders.tabular import Undecodable, decode, normalise
from agrs.ns import AGRS, BASE, ID, ROLE, SRC
from agrs.paths import ontology_dir
from agrs.records import Problem, RawRecord, ReadError, Record

SWIVT = "http://semantic-mediawiki.org/swivt/1.0#"
WIKI = "https://wiki.resilience-territoire.ademe.fr/wiki/"
#: the wiki's Semantic MediaWiki export namespace: a page's subject is this plus its escaped title
#: (SMW's Exporter: the canonical `Special:` whatever the wiki's language, as the wiki's own export writes it)
WIKI_RESOLVER = WIKI + "Special:URIResolver/"
#: characters MediaWiki's wfUrlencode leaves unescaped after PHP's urlencode
_MW_KEPT = ";@$!*(),/~:"
#: Semantic MediaWiki's Escaper::encodeUri, after wfUrlencode: these characters, then every % (→ -)
_SMW_ESCAPES = {"*": "-2A", ",": "-2C", ";": "-3B", "<": "-3C", ">": "-3E", "(": "-28", ")": "-29", "[": "-5B",
                "]": "-5D", "{": "-7B", "}": "-7D", "\\": "-5C", "$": "-24", "^": "-5E", ":": "-3A", '"': "-22",
                "#": "-23", "&": "-26", "'": "-27", "+": "-2B", "!": "-21", "%": "-"}  # fmt: skip

# --- Fields ----------------------------------------------------------------------------

#: canonical field → the wiki's names for it (field labels of the page, SMW property names), compared loosely
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("titre", "title", "nom du commun"),
    "description": ("description",),
    "challenge": ("défi auquel répond la ressource", "défi", "défis", "challenge"),
    "related": ("autre commun proche", "autres communs proches", "commun proche", "communs proches"),
    "tags": ("tags", "tag", "mots-clés"),
    "categories": ("catégories", "catégorie", "categories"),
    "themes": ("thème", "thèmes", "theme"),
    "development_level": ("niveau de développement", "niveau de developpement"),
    "contributors": ("contributeurs", "contributeur"),
    "referents": ("référent du commun", "référents du commun", "référent", "référents"),
    "ademe_referents": ("référent ademe", "référents ademe"),
    "sought_resources": ("richesse recherchée", "richesses recherchées"),
    "funding": (
        "montant aide souhaitée (en euro) à l'appel à communs sobriété et résilience",
        "montant aide souhaitée (en euro)",
        "montant aide souhaitée",
    ),
    "files": ("cloud / fichiers", "cloud", "fichiers"),
}
#: fields the wiki shows that have no term in the ontology: recognised (they end a description), not mapped;
#: the organisations that use a commons are organisations, loaded with their roles by the partners loader
IGNORED_FIELDS = (
    "organisations utilisatrice ou intéressée par utiliser la ressource",
    "organisations utilisatrices",
    "compétences recherchée",
    "compétences recherchées",
    "communauté d'intérêt",
    "type de licence",
    "candidat appel à communs",
)
FIELD_ALIASES = {normalise(alias): name for name, aliases in FIELDS.items() for alias in aliases}
FIELD_ALIASES.update({normalise(alias): "" for alias in IGNORED_FIELDS})

#: wiki page titles whose IRIs were minted by hand in data/observatory/ademe-commons.ttl before this loader:
#: slug of the title (see `commons_key`) → the key in use, so that both sources name the same commons
KNOWN_KEYS = {
    "approche-globale-resiliente-solidaire-territoires-entreprises": "approche-globale-resiliente-solidaire",
    "approche-globale-resiliente-solidaire-territoires-entreprises-observatoire-campus-livre-blanc": (
        "approche-globale-resiliente-solidaire-observatoire-campus-livre-blanc"
    ),
}
#: French function words left out of keys ("Baromètre de la Résilience Alimentaire" → barometre-resilience-…)
STOP_WORDS = frozenset("a au aux d de des du en et l la le les pour".split())
#: the wiki's namespaces for user pages, dropped from people's names
USER_PREFIX = re.compile(r"^(?:utilisateur|utilisatrice|user)\s*:\s*", re.IGNORECASE)

FIELD_LINE = re.compile(r"^\s*(?P<label>[^:?\n]{1,120}?)\s*[:?]\s*(?P<value>.*?)\s*$")
NUMBERED = re.compile(r"^\s*(\d+)\s*[-–.)]")
# Commas separate values, but not inside parentheses: "… (Observatoire, Campus, Livre Blanc)" is one title.
COMMA_OUTSIDE_PARENS = re.compile(r",(?![^()]*\))")
CHALLENGE_SPLIT = re.compile(r",\s*(?=\d+\s*[-–.)])")
SMW_ESCAPE = re.compile(r"(?:-[0-9A-F]{2})+")


def loose(text: str) -> str:
    """Return a matching key for a wiki value: no accents, case, function words, plural s or trailing gloss.

    "Cas d'usages" and "cas d'usage", "Contributeur - Communauté" and "contributeurs et communauté",
    "Données" and "données (catégorie du wiki)" get the same key.
    """
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)
    words = [word for word in normalise(text).split("-") if word and word not in STOP_WORDS]
    return "-".join(word[:-1] if len(word) > 3 and word[-1] in "sx" else word for word in words)


def commons_key(title: str) -> str:
    """Return the key of a resilience commons from its wiki page title (its IRI is …/id/resilience-commons/<key>)."""
    slug = "-".join(word for word in normalise(title).split("-") if word and word not in STOP_WORDS)
    return KNOWN_KEYS.get(slug, slug)


def person_key(name: str) -> str:
    """Return the key of a wiki user (…/id/person/<key>) from its user name, namespace prefix dropped."""
    return normalise(USER_PREFIX.sub("", name))


def smw_unescape(text: str) -> str:
    """Decode Semantic MediaWiki's IRI escapes (`-C3-A9` → `é`, `-3A` → `:`) and underscores."""

    def bytes_of(match: re.Match) -> str:
        raw = bytes.fromhex(match.group(0).replace("-", ""))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)

    return SMW_ESCAPE.sub(bytes_of, text).replace("_", " ")


def smw_subject(title: str, namespace: str = WIKI_RESOLVER) -> str:
    """Return the IRI Semantic MediaWiki's export gives the page `title` (`…/URIResolver/R-C3-A9silience`).

    As SMW writes it (Exporter, Escaper::encodeUri, with $smwgExportResourcesAsIri false, its default): the
    title's database key (spaces as underscores, first letter upper-case: $wgCapitalLinks), MediaWiki's
    wfUrlencode (PHP urlencode, then `;@$!*(),/~:` kept), then `-` → `-2D`, the escapes above, and `%` → `-`.
    """
    key = " ".join(title.split())
    key = (key[:1].upper() + key[1:]).replace(" ", "_")
    encoded = quote(key, safe=_MW_KEPT + "-_.")
    encoded = encoded.replace("-", "-2D")
    for character, escape in _SMW_ESCAPES.items():
        encoded = encoded.replace(character, escape)
    return namespace + encoded


def split_values(value: str) -> list[str]:
    """Split a multi-valued field on commas outside parentheses, dropping empty items."""
    return [item.strip() for item in COMMA_OUTSIDE_PARENS.split(value) if item.strip()]


# --- Vocabulary read from the ontology ---------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """The concepts of the ademe-commons schemes, each by key, labels (see `loose`) and notation."""

    schemes: dict[str, dict[str, URIRef]]
    notations: dict[str, dict[str, URIRef]]

    @classmethod
    def from_ontology(cls, folder: Path | None = None) -> "Vocabulary":
        """Read ontology/modules/ademe-commons.ttl (the installed ontology by default)."""
        return cls.from_graph(
            Graph().parse((folder or ontology_dir()) / "modules" / "ademe-commons.ttl", format="turtle")
        )

    @classmethod
    def from_graph(cls, graph: Graph) -> "Vocabulary":
        """Build the lookups from a graph holding the ademe-commons schemes (the merged ontology does)."""
        schemes, notations = {}, {}
        for scheme in ("challenge", "wiki-category", "wiki-theme", "development-level", "sought-resource"):
            lookup, numbers = {}, {}
            for concept in graph.subjects(SKOS.inScheme, URIRef(BASE + scheme)):
                for label in graph.objects(concept, SKOS.prefLabel | SKOS.altLabel | SKOS.hiddenLabel):
                    lookup[loose(str(label))] = concept
                for notation in graph.objects(concept, SKOS.notation):
                    numbers[str(notation)] = concept
            for concept in set(lookup.values()):
                lookup[loose(str(concept).rsplit("/", 1)[1])] = concept
            schemes[scheme], notations[scheme] = lookup, numbers
        return cls(schemes, notations)

    def keys(self, scheme: str) -> str:
        """Return the concept keys of a scheme, for messages."""
        return ", ".join(sorted({str(iri).rsplit("/", 1)[1] for iri in self.schemes[scheme].values()}))


# --- Reading: text pages -------------------------------------------------------------------


def _read_text(path: Path) -> Iterator[RawRecord]:
    """Read one page's fields as text: `Label : value` lines; the title is the first line that is not a field."""
    data = path.read_bytes()
    try:
        text = decode(data)
    except Undecodable as error:
        # The line up to the bad byte holds the label of the field the byte is in.
        match = FIELD_LINE.match(error.prefix.split("\n")[-1])
        name = FIELD_ALIASES.get(normalise(match["label"])) if match else None
        raise ReadError(str(path), str(error), line=error.line, field=name or None) from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ReadError(str(path), "empty file: no wiki page", line=1)
    fields: dict[str, list[str]] = {}
    current: str | None = None  # the field a continuation line belongs to (the description only)
    first = next(number for number, line in enumerate(lines, 1) if line.strip())
    for number, line in enumerate(lines, 1):
        match = FIELD_LINE.match(line)
        name = FIELD_ALIASES.get(normalise(match["label"])) if match else None
        if name is not None:
            current = name if name == "description" else None
            if name and match["value"]:
                fields.setdefault(name, []).append(match["value"])
        elif number == first and "title" not in fields:
            fields["title"] = [line.strip()]
        elif current == "description" and "description" in fields:
            fields["description"].append(line.rstrip())
    if "description" in fields:
        # Paragraphs of the description: lines joined, blank-line runs collapsed.
        body = "\n".join(fields["description"]).strip()
        fields["description"] = [re.sub(r"\n\s*\n+", "\n\n", body)]
    yield RawRecord(str(path), first, fields, original=text)


# --- Reading: Special:ExportRDF -----------------------------------------------------------


def _read_rdf(path: Path) -> Iterator[RawRecord]:
    """Read a Special:ExportRDF document: one record per exported page (a swivt:Subject with its own facts)."""
    _check_entities(path)
    lines = _subject_lines(path)
    graph = Graph()
    try:
        graph.parse(path, format="xml")
    except Exception as error:  # rdflib raises many kinds; the line comes from the XML pass above
        raise ReadError(str(path), f"not RDF/XML: {error}", line=getattr(error, "_linenum", None)) from None
    wiki_ns = _wiki_namespace(graph)
    for subject in sorted(set(graph.subjects(RDF.type, URIRef(SWIVT + "Subject"))), key=lambda s: lines.get(str(s), 0)):
        if not isinstance(subject, URIRef) or "#_" in str(subject):
            continue  # subobjects (…#_abc) belong to their page
        if not _is_page(graph, subject, wiki_ns):
            continue  # a page the export only mentions: its label and URL, no facts
        fields: dict[str, list[str]] = {}
        label = graph.value(subject, RDFS.label)
        if label is not None and str(label).strip():
            fields["title"] = [str(label).strip()]
        for predicate, value in graph.predicate_objects(subject):
            name = _property_field(str(predicate), wiki_ns)
            if name:
                fields.setdefault(name, []).append(_value_text(graph, value, wiki_ns))
        for category in graph.objects(subject, RDF.type):
            title = _wiki_title(str(category), wiki_ns)
            if title and title.lower().startswith(("category:", "catégorie:")):
                fields.setdefault("wiki_categories", []).append(title.split(":", 1)[1])
        page = graph.value(subject, URIRef(SWIVT + "page"))
        if page is not None:
            fields["page"] = [str(page)]
        fields["subject"] = [str(subject)]
        original = graph.cbd(subject).serialize(format="turtle")
        yield RawRecord(str(path), lines.get(str(subject)), fields, original=original)


#: an internal entity declaration as SMW writes them: a name and a quoted value
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s'\"]+)\s+(?:(SYSTEM|PUBLIC)\b|'([^']*)'|\"([^\"]*)\")")
MAX_ENTITIES, MAX_ENTITY_LENGTH = 64, 1024


def _check_entities(path: Path) -> None:
    """Refuse entity declarations that could expand beyond what the file holds, before any XML parser sees them.

    SMW's exports declare a few entities for namespace IRIs (`<!ENTITY wiki 'https://…'>`): plain text, kept. An
    entity whose value refers to another entity (the « billion laughs »: a 1 KB file expanding to gigabytes), a
    parameter entity, an external one (SYSTEM, PUBLIC: a file or URL read), or more than MAX_ENTITIES of them is
    refused with a ReadError.
    """
    with open(path, "rb") as stream:
        head = stream.read(1 << 20)
    if b"<!ENTITY" not in head:
        return
    subset = head[: head.find(b"]>")] if b"]>" in head else head
    declared = _ENTITY.findall(subset)
    if subset.count(b"<!ENTITY") != len(declared) or len(declared) > MAX_ENTITIES:
        raise ReadError(str(path), f"refused: the DOCTYPE declares entities this loader does not read (at most "
                                   f"{MAX_ENTITIES} plain ones, as SMW writes)")  # fmt: skip
    for parameter, name, external, single, double in declared:
        value = single or double
        if parameter or external or b"&" in value or b"%" in value or len(value) > MAX_ENTITY_LENGTH:
            what = "an external entity" if external else "an entity made of others"
            what = "a parameter entity" if parameter else what
            raise ReadError(
                str(path), f"refused: the DOCTYPE declares {what} ({name.decode(errors='replace')}): an XML entity "
                "expansion or a file read, not an SMW export", line=head[: head.find(name)].count(b"\n") + 1,
            )  # fmt: skip


def _subject_lines(path: Path) -> dict[str, int]:
    """Return the line of each `swivt:Subject` element by its expanded rdf:about; ReadError on malformed XML."""

    class Handler(xml.sax.handler.ContentHandler):
        def __init__(self):
            super().__init__()
            self.lines: dict[str, int] = {}

        def startElementNS(self, name, qname, attributes):
            if name == (SWIVT, "Subject"):
                about = attributes.get(("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "about"))
                if about is not None:
                    self.lines.setdefault(about, self.locator.getLineNumber())

        def setDocumentLocator(self, locator):
            self.locator = locator

    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    handler = Handler()
    parser.setContentHandler(handler)
    try:
        parser.parse(str(path))
    except xml.sax.SAXParseException as error:
        raise ReadError(str(path), f"malformed XML: {error.getMessage()}", line=error.getLineNumber()) from None
    if not handler.lines:
        raise ReadError(str(path), "no swivt:Subject: not a Special:ExportRDF document", line=1)
    return handler.lines


def _wiki_namespace(graph: Graph) -> str:
    """Return the wiki's `…/Special:URIResolver/` namespace, as the export binds it (`wiki:`)."""
    for prefix, namespace in graph.namespaces():
        if prefix == "wiki":
            return str(namespace)
    return WIKI + "Special:URIResolver/"


def _wiki_title(iri: str, wiki_ns: str) -> str | None:
    """Return the page title of a wiki resource IRI (`…/URIResolver/Category-3ADonn-C3-A9es` → `Category:Données`)."""
    if not iri.startswith(wiki_ns):
        return None
    return smw_unescape(iri[len(wiki_ns) :])


def _property_field(iri: str, wiki_ns: str) -> str | None:
    """Return the canonical field of a wiki property IRI (`…/Property-3AD-C3-A9fi` → `challenge`), else None."""
    title = _wiki_title(iri, wiki_ns)
    if not title or not title.lower().startswith(("property:", "attribut:", "propriété:")):
        return None
    return FIELD_ALIASES.get(normalise(title.split(":", 1)[1])) or None


def _value_text(graph: Graph, value: Node, wiki_ns: str) -> str:
    """Return a property value as text: a literal's text, a wiki page's title (its label), a URL as is."""
    if isinstance(value, Literal):
        text = str(value)
        if value.datatype == XSD.double and text.endswith(".0"):
            text = text[:-2]  # SMW writes every number as a double: 98770 comes as "98770.0"
        return text
    label = graph.value(value, RDFS.label)
    if label is not None:
        return str(label)
    return _wiki_title(str(value), wiki_ns) or str(value)


def _is_page(graph: Graph, subject: URIRef, wiki_ns: str) -> bool:
    """Return whether the export holds the page's own facts (a mentioned page has a label and URL only)."""
    if graph.value(subject, URIRef(SWIVT + "wikiPageModificationDate")) is not None:
        return True
    return any(str(p).startswith(wiki_ns + "Property-3A") for p in graph.predicates(subject))


# --- Mapping -------------------------------------------------------------------------------


@dataclass
class _Page:
    """One page being mapped: its record, its commons node and key."""

    record: Record
    subject: Node
    key: str | None = None
    people: dict[str, URIRef] = field(default_factory=dict)

    def values(self, name: str) -> list[str]:
        return [value for value in self.record.raw.fields.get(name, []) if value and value.strip()]

    def add(self, predicate: Node, obj: Node, subject: Node | None = None) -> None:
        self.record.triples.append((self.subject if subject is None else subject, predicate, obj))

    def problem(self, name: str | None, message: str, rule: str) -> None:
        self.record.problems.append(Problem(message, name, rule))


class CommonsLoader(Loader):
    """Loads wiki pages of resilience commons: Special:ExportRDF documents (.rdf, .xml) or text pages."""

    kind = "commons"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    default_key = "ademe-wiki"

    def __init__(self, vocabulary: Vocabulary | None = None):
        self._vocabulary = FromOntology(Vocabulary.from_graph, Vocabulary.from_ontology, vocabulary)

    @property
    def vocabulary(self) -> Vocabulary:
        """The schemes' lookups, from the pipeline's ontology, else read from the ontology files on first use."""
        return self._vocabulary.get(self.ontology)

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield the pages of one file: RDF/XML by suffix (.rdf, .xml, .owl) or content (`<?xml`), else text."""
        try:
            with open(path, "rb") as stream:
                head = stream.read(256).removeprefix(b"\xef\xbb\xbf").lstrip()
        except OSError as error:
            raise ReadError(str(path), error.strerror or str(error)) from None
        if path.suffix.lower() in (".rdf", ".xml", ".owl") or head.startswith((b"<?xml", b"<rdf:RDF", b"<!DOCTYPE")):
            yield from _read_rdf(path)
        else:
            yield from _read_text(path)

    def map(self, raw: RawRecord) -> Record:
        """Map one page to its commons, people and participations; bad values become problems."""
        page = _Page(Record(raw), BNode())
        self._identity(page)
        self._concepts(page, "challenge", "challenge", AGRS.addressesChallenge, "unknown-challenge")
        self._concepts(page, "categories", "wiki-category", AGRS.wikiCategory, "unknown-category")
        self._wiki_categories(page)
        self._concepts(page, "themes", "wiki-theme", AGRS.wikiTheme, "unknown-theme")
        self._concepts(page, "development_level", "development-level", AGRS.developmentLevel, "unknown-level")
        self._concepts(page, "sought_resources", "sought-resource", AGRS.soughtResource, "unknown-resource")
        self._tags(page)
        self._related(page)
        self._funding(page)
        self._files(page)
        self._people(page)
        return page.record

    def _identity(self, page: _Page) -> None:
        titles = page.values("title")
        if titles:
            page.key = commons_key(titles[0])
            if page.key:
                page.subject = ID[f"resilience-commons/{page.key}"]
        if page.key:
            page.record.subjects.add(page.subject)
        else:
            page.problem("title", "the page has no title (its first line, or a 'Titre :' field)", "required")
        page.add(RDF.type, AGRS.ResilienceCommons)
        page.add(RDF.type, AGRS.Endeavour)  # explicit: the gate runs no inference
        if titles:
            page.add(RDFS.label, Literal(titles[0], lang="fr"))
        for description in page.values("description")[:1]:
            page.add(DCTERMS.description, Literal(description, lang="fr"))
        page.add(DCTERMS.source, SRC["ademe-wiki"])
        url = page.values("page") or ([WIKI + quote(titles[0].replace(" ", "_"), safe=";:@$!*(),/~")] if titles else [])
        for value in url[:1]:
            page.add(RDFS.seeAlso, URIRef(value))
        # Link out: the wiki's own IRI for the commons (its Semantic MediaWiki subject: the thing the page is about,
        # not the page), owl:sameAs as it is the same commons. An export gives it; a text page, its title does.
        subject = page.values("subject") or ([smw_subject(titles[0])] if titles else [])
        for value in subject[:1]:
            if page.key:
                page.add(OWL.sameAs, URIRef(value))

    def _concepts(self, page: _Page, name: str, scheme: str, predicate: URIRef, rule: str) -> None:
        for raw in page.values(name):
            items = CHALLENGE_SPLIT.split(raw) if scheme == "challenge" else split_values(raw)
            if scheme == "development-level":
                items = [raw.strip()]  # one level; a comma inside is part of an unknown value
            for item in items:
                concept = self._concept(scheme, item)
                if concept is None:
                    page.problem(
                        name,
                        f"unknown {scheme.replace('-', ' ')} {item!r}; expected one of {self.vocabulary.keys(scheme)}",
                        rule,
                    )
                else:
                    page.add(predicate, concept)
        if scheme == "development-level" and len(page.values(name)) > 1:
            page.problem(name, "a commons has one development level; the page gives several", "several-levels")

    def _concept(self, scheme: str, value: str) -> URIRef | None:
        number = NUMBERED.match(value)
        if number and number.group(1) in self.vocabulary.notations[scheme]:
            return self.vocabulary.notations[scheme][number.group(1)]
        return self.vocabulary.schemes[scheme].get(loose(value))

    def _wiki_categories(self, page: _Page) -> None:
        # The page's wiki categories (rdf:type in the export) also hold the wiki's own filing categories
        # ("Communs"): only those of the scheme are mapped, the others are not the commons' nature.
        for value in page.values("wiki_categories"):
            concept = self.vocabulary.schemes["wiki-category"].get(loose(value))
            if concept is not None:
                page.add(AGRS.wikiCategory, concept)

    def _tags(self, page: _Page) -> None:
        for raw in page.values("tags"):
            for tag in split_values(raw):
                page.add(AGRS.tag, Literal(tag))

    def _related(self, page: _Page) -> None:
        for raw in page.values("related"):
            for title in split_values(raw):
                key = commons_key(title)
                if not key:
                    page.problem("related", f"{title!r} is not the title of a wiki page", "related-title")
                    continue
                if key == page.key:
                    continue  # the wiki lists a page among its own neighbours at times
                other = ID[f"resilience-commons/{key}"]
                page.add(AGRS.relatedCommons, other)
                # The linked page as the wiki names it, and the inverse link (symmetric, but nothing infers it).
                # Not a subject of the record: its own page, when loaded, describes it.
                page.add(RDF.type, AGRS.ResilienceCommons, other)
                page.add(RDF.type, AGRS.Endeavour, other)
                page.add(RDFS.label, Literal(title, lang="fr"), other)
                page.add(OWL.sameAs, URIRef(smw_subject(title)), other)  # the wiki's subject of that page
                if page.key:
                    page.add(AGRS.relatedCommons, page.subject, other)

    def _funding(self, page: _Page) -> None:
        values = page.values("funding")
        for raw in values[:1]:
            text = re.sub(r"[\s\u00a0\u202f€]|eur(?:os?)?$", "", raw.strip(), flags=re.IGNORECASE).replace(",", ".")
            try:
                amount = Decimal(text)
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or amount < 0:
                page.problem("funding", f"amount {raw!r} is not a positive number of euros (98770)", "amount-format")
            else:
                # "98770.0", not "98770": the lexical form Turtle writes and reads back for a decimal.
                lexical = format(amount, "f")
                lexical += "" if "." in lexical else ".0"
                page.add(AGRS.requestedFundingEur, Literal(lexical, datatype=XSD.decimal))
        if len({value.strip() for value in values}) > 1:
            page.problem("funding", "the page gives several amounts of funding", "several-amounts")

    def _files(self, page: _Page) -> None:
        for raw in page.values("files"):
            for value in raw.split():
                if re.fullmatch(r"https?://[^\s]+\.[^\s]+", value):
                    page.add(RDFS.seeAlso, URIRef(value))
                else:
                    page.problem("files", f"{value!r} is not an http(s) URL", "url")

    def _people(self, page: _Page) -> None:
        # Referents of the commons and ADEME referents are both referents (ademeReferent is a sub-property):
        # the super-property is stated, as nothing infers it.
        roles = (
            ("contributors", "contributor", (AGRS.hasContributor,)),
            ("referents", "referent", (AGRS.hasReferent,)),
            ("ademe_referents", "referent", (AGRS.hasReferent, AGRS.ademeReferent)),
        )
        for name, role, predicates in roles:
            for raw in page.values(name):
                for person_name in split_values(raw):
                    person = self._person(page, name, person_name)
                    if person is None:
                        continue
                    for predicate in predicates:
                        page.add(predicate, person)
                    self._participation(page, person, role)

    def _person(self, page: _Page, name: str, value: str) -> URIRef | None:
        key = person_key(value)
        if not key:
            page.problem(name, f"{value!r} is not a wiki user name", "user-name")
            return None
        person = ID[f"person/{key}"]
        if key not in page.people:
            page.people[key] = person
            page.record.subjects.add(person)
            page.add(RDF.type, AGRS.Person, person)
            page.add(RDF.type, AGRS.Actor, person)
            page.add(RDFS.label, Literal(USER_PREFIX.sub("", value).strip(), lang="fr"), person)
            page.add(DCTERMS.source, SRC["ademe-wiki"], person)
        return person

    def _participation(self, page: _Page, person: URIRef, role: str) -> None:
        if not page.key:
            return  # no IRI to name the participation after; the title problem is recorded
        person_key_ = str(person).rsplit("/", 1)[1]
        participation = ID[f"participation/person-{person_key_}--{role}--resilience-commons-{page.key}"]
        if participation in page.record.subjects:
            return
        page.record.subjects.add(participation)
        page.add(RDF.type, AGRS.Participation, participation)
        page.add(AGRS.participant, person, participation)
        page.add(AGRS.hasRole, ROLE[role], participation)
        page.add(AGRS.participationIn, page.subject, participation)
        page.add(DCTERMS.source, SRC["ademe-wiki"], participation)
