"""HTML documentation of the AGRS ontology, a page of its concept schemes, and a class diagram.

`write_docs` writes, in one folder:

- index.html: the pyLODE OntPub page of every class and property in the AGRS namespace. pyLODE
  (3.2.x) shows one dcterms:title and dcterms:description per term, which it infers from
  rdfs:label, skos:prefLabel, skos:definition and rdfs:comment, dropping the language tags: two
  labels come out glued together ("TerritoireTerritory"). So pyLODE gets a copy of the graph in
  which each term has one title "English / Français" and one description with a paragraph per
  language, marked **en** and **fr**. The caller's graph is never changed.
- vocabularies.html: one table per SKOS concept scheme, written here, since pyLODE's VocPub
  profile (3.2.x) documents classes and properties only, not concepts.
- classes.dot and classes.svg: the AGRS classes, one cluster per module, with their subclass
  links and the object properties between them; the SVG comes from Graphviz's `dot`.

Nothing is fetched: pyLODE gets a graph (not an IRI), inlines its CSS, and reads the labels of
the vocabularies it knows from files it ships.
"""

import html
import logging
import re
import shutil
import subprocess
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, OWL, RDF, RDFS, SDO, SKOS, VANN

from agrs import labels
from agrs.checks.faults import CheckCannotRun
from agrs.closure import UMBRELLA_IRI
from agrs.ns import BASE, CONCEPT_SCHEMES, bind_all

INDEX_FILE = "index.html"
VOCABULARIES_FILE = "vocabularies.html"
DOT_FILE = "classes.dot"
SVG_FILE = "classes.svg"

LABELS = (SKOS.prefLabel, RDFS.label, DCTERMS.title, DC.title, SDO.name)
DESCRIPTIONS = (SKOS.definition, DCTERMS.description, RDFS.comment, DC.description, SDO.description)
NOTES = (SKOS.scopeNote, SKOS.note, SKOS.historyNote, SKOS.example, DCTERMS.provenance)
DOCUMENTED_TYPES = (
    OWL.Class,
    RDFS.Class,
    RDF.Property,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.FunctionalProperty,
)
LANGUAGES = ("en", "fr")


def write_docs(ontology: Graph, out_dir: Path) -> list[Path]:
    """Write index.html, vocabularies.html, classes.dot and classes.svg into out_dir; return them.

    Raises CheckCannotRun when Graphviz's `dot` is missing, after writing everything else.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_ontology_page(ontology, out_dir / INDEX_FILE),
        write_vocabularies_page(ontology, out_dir / VOCABULARIES_FILE),
    ]
    dot_path = write_class_diagram_dot(ontology, out_dir / DOT_FILE)
    written.append(dot_path)
    written.append(render_svg(dot_path, out_dir / SVG_FILE))
    return written


# --- Labels, languages, anchors ----------------------------------------------------------------


def is_agrs(term) -> bool:
    """Tell whether a term is an IRI in the AGRS namespace."""
    return isinstance(term, URIRef) and str(term).startswith(BASE)


def local_name(iri) -> str:
    """Return the last segment of an IRI, after its last slash or hash."""
    return re.split(r"[/#]", str(iri).rstrip("/#"))[-1]


def label_in(graph: Graph, term, lang: str | None, predicates=LABELS) -> str | None:
    """Return the term's first label in a language (None: an untagged label), or None."""
    return labels.label_in(graph, term, lang, predicates)


def any_label(graph: Graph, term) -> str:
    """Return the term's English label, else French, else untagged, else another, else its IRI's last segment."""
    return labels.best_label(graph, term, labels.ENGLISH_FIRST, LABELS) or local_name(term)


def language_order(lang: str | None) -> tuple:
    """Sort key of a language tag: English, French, the others by tag, untagged last."""
    if lang in LANGUAGES:
        return (0, LANGUAGES.index(lang), "")
    return (1, 0, lang) if lang else (2, 0, "")


def anchor(iri) -> str:
    """Return the fragment naming an AGRS concept or scheme on the vocabularies page."""
    return str(iri).removeprefix(BASE).strip("/").replace("/", "-").replace("#", "-")


def stable_fids(graph: Graph) -> dict[str, str]:
    """Return the HTML id of each documented AGRS term: its local name, made unique."""
    terms = sorted({t for kind in DOCUMENTED_TYPES for t in graph.subjects(RDF.type, kind) if is_agrs(t)})
    fids: dict[str, str] = {}
    for term in terms:
        fid, count = local_name(term), 1
        while fid in fids.values():
            count += 1
            fid = f"{local_name(term)}{count}"
        fids[str(term)] = fid
    return fids


# --- index.html: pyLODE OntPub ---------------------------------------------------------------------


def write_ontology_page(ontology: Graph, path: Path) -> Path:
    """Write the pyLODE OntPub page of the AGRS terms to path."""
    page = ontpub_class()(pylode_graph(ontology))
    fids = stable_fids(ontology)
    page.fids.update(fids)  # pyLODE would make ids from the titles: keep the local names instead
    text = relink(page.make_html(), page.fids, set(fids), vocabulary_targets(ontology))
    path.write_text(text, encoding="utf-8")
    return path


def ontpub_class() -> type:
    """Import pyLODE's OntPub, undoing the logging.basicConfig(level=DEBUG) that importing pyLODE runs."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub  # imported here: pyLODE takes a second to import
    except ModuleNotFoundError as error:
        raise CheckCannotRun(f"the documentation needs pyLODE ({error}): pip install 'agrs[docs]'") from error

    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    return OntPub


def pylode_graph(ontology: Graph) -> Graph:
    """Return a copy of the ontology shaped for pyLODE: one bilingual title and description per term.

    The copy also drops the declarations of external terms (the pinned SKOS, DCMI and PROV
    extracts) so that the page documents AGRS terms only, drops skos:ConceptScheme types (pyLODE
    would merge every scheme's metadata into the ontology's), and declares the AGRS namespace so
    that pyLODE links AGRS terms within the page.
    """
    copy = Graph()
    for prefix, namespace in ontology.namespaces():
        copy.bind(prefix, namespace, override=True)
    bind_all(copy)
    umbrella = URIRef(UMBRELLA_IRI)
    for triple in sorted(ontology):  # sorted: pyLODE lists terms in the graph's order
        if keep_for_pylode(triple, umbrella):
            copy.add(triple)
    for subject in sorted({s for s in copy.subjects() if is_agrs(s)}):
        rewrite_annotations(copy, subject)
    add_header(copy, umbrella)
    return copy


def keep_for_pylode(triple: tuple, umbrella: URIRef) -> bool:
    """Tell whether pyLODE's copy keeps a triple (see pylode_graph)."""
    subject, predicate, value = triple
    if predicate != RDF.type:
        return True
    if value == SKOS.ConceptScheme or (value == OWL.Ontology and subject != umbrella):
        return False
    return value not in DOCUMENTED_TYPES or is_agrs(subject)


def rewrite_annotations(graph: Graph, subject: URIRef) -> None:
    """Replace a term's labels and definitions by one title and one description, tagging languages."""
    literals = [(p, o) for p, o in graph.predicate_objects(subject) if isinstance(o, Literal)]
    title = bilingual_title([o for p, o in literals if p in LABELS])
    description = tagged_paragraphs([o for p in DESCRIPTIONS for q, o in literals if q == p])
    for predicate, value in literals:
        if predicate in LABELS or predicate in DESCRIPTIONS or (predicate in NOTES and value.language):
            graph.remove((subject, predicate, value))
        if predicate in NOTES and value.language:
            graph.add((subject, predicate, Literal(tag(value, markdown=predicate != SKOS.example))))
    if title:
        graph.add((subject, DCTERMS.title, Literal(title)))
    if description:
        graph.add((subject, DCTERMS.description, Literal(description)))


def bilingual_title(labels: list[Literal]) -> str | None:
    """Return 'English / Français' from a term's labels (one label per language, distinct ones)."""
    chosen: dict[str | None, str] = {}
    for value in sorted(labels, key=lambda v: (language_order(v.language), str(v))):
        chosen.setdefault(value.language, str(value))
    distinct = list(dict.fromkeys(chosen.values()))
    return " / ".join(distinct) if distinct else None


def tagged_paragraphs(texts: list[Literal]) -> str | None:
    """Return the texts as markdown paragraphs, English first, each starting with its language."""
    ordered = sorted(dict.fromkeys(texts), key=lambda v: language_order(v.language))
    paragraphs = list(dict.fromkeys(tag(value) for value in ordered))
    return "\n\n".join(paragraphs) if paragraphs else None


def tag(value: Literal, markdown: bool = True) -> str:
    """Return a literal's text with its language in front; HTML-escaped for pyLODE's markdown."""
    text = html.escape(str(value), quote=False) if markdown else str(value)
    if not value.language:
        return text
    return f"**{value.language}** — {text}" if markdown else f"[{value.language}] {text}"


def add_header(graph: Graph, umbrella: URIRef) -> None:
    """Give the ontology header what pyLODE needs: a title, the AGRS namespace, links to the other pages."""
    graph.add((umbrella, RDF.type, OWL.Ontology))
    if graph.value(umbrella, DCTERMS.title) is None:
        graph.add((umbrella, DCTERMS.title, Literal("AGRS ontology")))
    if graph.value(umbrella, VANN.preferredNamespaceUri) is None:
        graph.add((umbrella, VANN.preferredNamespaceUri, Literal(BASE)))
        graph.add((umbrella, VANN.preferredNamespacePrefix, Literal("agrs")))
    graph.add(
        (
            umbrella,
            SKOS.note,
            Literal(f"See also the [concept schemes]({VOCABULARIES_FILE}) and the [class diagram]({SVG_FILE})."),
        )
    )


def vocabulary_targets(graph: Graph) -> dict[str, str]:
    """Return the link, on the vocabularies page, of every AGRS concept and concept scheme."""
    terms = set(graph.subjects(RDF.type, SKOS.Concept)) | set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    return {str(term): f"{VOCABULARIES_FILE}#{anchor(term)}" for term in terms if is_agrs(term)}


def relink(text: str, fids: dict[str, str], documented: set[str], targets: dict[str, str]) -> str:
    """Point pyLODE's links to terms not on the page (concepts, sources, modules) to where they are.

    pyLODE links every IRI of the AGRS namespace to a fragment of the page; only the documented
    terms keep theirs: concepts go to the vocabularies page, the other IRIs to themselves.
    """
    ids = set(re.findall(r'\bid="([^"]*)"', text))
    iri_of = {fid: iri for iri, fid in fids.items()}

    def fix(found: re.Match) -> str:
        iri = iri_of.get(html.unescape(found.group(1)))
        if iri is None or (iri in documented and found.group(1) in ids):
            return found.group(0)
        return f'href="{html.escape(targets.get(iri, iri))}"'

    return re.sub(r'href="#([^"]*)"', fix, text)


# --- vocabularies.html -------------------------------------------------------------------------


def write_vocabularies_page(ontology: Graph, path: Path) -> Path:
    """Write one table per AGRS concept scheme (concepts in no scheme last) to path."""
    schemes = concept_schemes(ontology)
    sections = [scheme_section(ontology, scheme, scheme_members(ontology, scheme)) for scheme in schemes]
    loose = loose_concepts(ontology, schemes)
    if loose:
        sections.append(scheme_section(ontology, None, loose))
    contents = "".join(f'<li><a href="#{anchor(s)}">{html.escape(any_label(ontology, s))}</a></li>' for s in schemes)
    body = (
        f"<h1>AGRS concept schemes — schémas de concepts</h1>\n"
        f'<p><a href="{INDEX_FILE}">Ontology</a> · <a href="{SVG_FILE}">Class diagram</a></p>\n'
        f'<ul class="contents">{contents}</ul>\n' + "\n".join(sections)
    )
    path.write_text(html_page("AGRS concept schemes", body), encoding="utf-8")
    return path


def concept_schemes(graph: Graph) -> list[URIRef]:
    """Return the AGRS concept schemes, in the order of agrs.ns.CONCEPT_SCHEMES, then by IRI."""
    schemes = {s for s in graph.subjects(RDF.type, SKOS.ConceptScheme) if is_agrs(s)}
    order = {BASE + name: index for index, name in enumerate(CONCEPT_SCHEMES)}
    return sorted(schemes, key=lambda s: (order.get(str(s), len(order)), str(s)))


def scheme_members(graph: Graph, scheme) -> list[URIRef]:
    """Return the concepts of a scheme (skos:inScheme, skos:topConceptOf, skos:hasTopConcept)."""
    members = set(graph.subjects(SKOS.inScheme, scheme)) | set(graph.subjects(SKOS.topConceptOf, scheme))
    members |= set(graph.objects(scheme, SKOS.hasTopConcept))
    return [m for m in members if isinstance(m, URIRef)]


def loose_concepts(graph: Graph, schemes: list[URIRef]) -> list[URIRef]:
    """Return the AGRS concepts that belong to none of the schemes."""
    inside = {member for scheme in schemes for member in scheme_members(graph, scheme)}
    return [c for c in graph.subjects(RDF.type, SKOS.Concept) if is_agrs(c) and c not in inside]


def hierarchy_order(graph: Graph, concepts: list[URIRef]) -> list[tuple[URIRef, int]]:
    """Return the concepts depth first along skos:broader/narrower, each with its depth."""
    members = set(concepts)
    children: dict[URIRef, list[URIRef]] = {c: [] for c in members}
    roots = []
    for concept in members:
        parents = broader_of(graph, concept) & members
        for parent in parents:
            children[parent].append(concept)
        if not parents:
            roots.append(concept)
    ordered: list[tuple[URIRef, int]] = []
    seen: set[URIRef] = set()

    def visit(concept: URIRef, depth: int) -> None:
        if concept in seen:
            return
        seen.add(concept)
        ordered.append((concept, depth))
        for child in sorted(children[concept], key=lambda c: concept_key(graph, c)):
            visit(child, depth + 1)

    for root in sorted(roots, key=lambda c: concept_key(graph, c)) + sorted(members, key=str):
        visit(root, 0)  # the second list catches concepts caught in a broader cycle
    return ordered


def broader_of(graph: Graph, concept: URIRef) -> set[URIRef]:
    """Return a concept's broader concepts, stated with skos:broader or skos:narrower."""
    return set(graph.objects(concept, SKOS.broader)) | set(graph.subjects(SKOS.narrower, concept))


def concept_key(graph: Graph, concept: URIRef) -> tuple:
    """Sort key of a concept: its notation if any, then its English (or other) label."""
    notation = graph.value(concept, SKOS.notation)
    return (0 if notation is not None else 1, str(notation or ""), any_label(graph, concept).casefold())


def scheme_section(graph: Graph, scheme, concepts: list[URIRef]) -> str:
    """Return the HTML section of one concept scheme (None: the concepts in no scheme)."""
    if scheme is None:
        head = '<h2 id="no-scheme">Concepts in no scheme — concepts hors schéma</h2>'
        about = ""
    else:
        head = (
            f'<h2 id="{anchor(scheme)}">{bilingual_html(graph, scheme)}</h2>'
            f'<p class="iri"><code>{html.escape(str(scheme))}</code></p>'
        )
        about = "".join(
            f'<p lang="{lang}">{html.escape(text)}</p>'
            for lang in LANGUAGES
            if (text := label_in(graph, scheme, lang, DESCRIPTIONS))
        )
    rows = "".join(concept_row(graph, concept, depth) for concept, depth in hierarchy_order(graph, concepts))
    header = (
        "<tr><th>Concept</th><th>prefLabel fr</th><th>prefLabel en</th>"
        "<th>Définition (fr)</th><th>Definition (en)</th><th>Broader</th></tr>"
    )
    return f"<section>{head}{about}<table>{header}{rows}</table></section>"


def concept_row(graph: Graph, concept: URIRef, depth: int) -> str:
    """Return the table row of one concept."""
    notation = graph.value(concept, SKOS.notation)
    name = html.escape(f"{notation} {local_name(concept)}" if notation else local_name(concept))
    broader = ", ".join(
        f'<a href="#{anchor(b)}">{html.escape(any_label(graph, b))}</a>'
        if is_agrs(b)
        else f'<a href="{html.escape(str(b))}">{html.escape(any_label(graph, b))}</a>'
        for b in sorted(broader_of(graph, concept))
    )
    cells = [
        f'<td class="concept" style="padding-left:{0.4 + 1.2 * depth:.1f}em">'
        f'<a href="#{anchor(concept)}" title="{html.escape(str(concept))}">{name}</a></td>',
        *(
            f'<td lang="{lang}">{html.escape(label_in(graph, concept, lang, predicates) or "")}</td>'
            for predicates in ((SKOS.prefLabel, RDFS.label), (SKOS.definition,))
            for lang in ("fr", "en")
        ),
        f"<td>{broader}</td>",
    ]
    return f'<tr id="{anchor(concept)}">{"".join(cells)}</tr>'


def bilingual_html(graph: Graph, term) -> str:
    """Return a term's English and French labels as HTML, French in italics."""
    english, french = label_in(graph, term, "en"), label_in(graph, term, "fr")
    if english and french and english != french:
        return f'<span lang="en">{html.escape(english)}</span> — <i lang="fr">{html.escape(french)}</i>'
    return html.escape(english or french or any_label(graph, term))


def html_page(title: str, body: str) -> str:
    """Return a standalone HTML page (inline style, nothing to fetch)."""
    style = (
        "body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:2em auto;max-width:110em;"
        "padding:0 1em;color:#222}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
        "table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border:1px solid #ddd;"
        "padding:.3em .4em;vertical-align:top;text-align:left}th{background:#f0f3f7}"
        "td.concept{white-space:nowrap}tr:target{background:#fff6cc}code,.iri{color:#555}"
        "ul.contents{columns:3}a{color:#1f5fa8;text-decoration:none}a:hover{text-decoration:underline}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}'
        f"</title>\n<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# --- classes.dot and classes.svg -------------------------------------------------------------------


def write_class_diagram_dot(ontology: Graph, path: Path) -> Path:
    """Write the Graphviz source of the AGRS class diagram to path."""
    path.write_text(class_diagram_dot(ontology), encoding="utf-8")
    return path


def agrs_classes(graph: Graph) -> list[URIRef]:
    """Return the named owl:Class terms of the AGRS namespace, sorted."""
    return sorted({c for c in graph.subjects(RDF.type, OWL.Class) if is_agrs(c)})


def module_of(graph: Graph, term) -> str | None:
    """Return the module a term belongs to: the last segment of its rdfs:isDefinedBy, or None."""
    modules = sorted(str(m) for m in graph.objects(term, RDFS.isDefinedBy) if isinstance(m, URIRef))
    return local_name(modules[0]) if modules else None


def class_diagram_dot(graph: Graph) -> str:
    """Return the class diagram in DOT: a cluster per module, subclass and object-property edges."""
    classes = agrs_classes(graph)
    fids = stable_fids(graph)
    by_module: dict[str | None, list[URIRef]] = {}
    for cls in classes:
        by_module.setdefault(module_of(graph, cls), []).append(cls)
    lines = [
        "digraph agrs_classes {",
        '  graph [rankdir=BT, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.5,'
        ' newrank=true, labelloc=t, label="AGRS classes — solid line, hollow arrow: subclass of;'
        ' dashed blue arrow: object property, from its domain to its range"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#fdf6e3", color="#7a6a3a",'
        ' fontname="Helvetica", fontsize=11, margin="0.12,0.05"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    for module in sorted(by_module, key=lambda m: (m is None, m or "")):
        lines.extend(cluster_lines(graph, module, by_module[module], fids))
    lines.extend(subclass_edges(graph, set(classes)))
    lines.extend(property_edges(graph, set(classes)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_id(text: str) -> str:
    """Return text as a quoted DOT identifier."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cluster_lines(graph: Graph, module: str | None, classes: list[URIRef], fids: dict[str, str]) -> list[str]:
    """Return the DOT lines of one module's cluster (classes with no module go outside any cluster)."""
    nodes = [f"    {node_line(graph, cls, fids)}" for cls in classes]
    if module is None:
        return nodes
    return [
        f"  subgraph {dot_id('cluster_' + module)} {{",
        f'    label={dot_id(module)}; style="rounded,filled"; fillcolor="#f4f6f9"; color="#9aa5b1";'
        ' fontsize=14; fontname="Helvetica-Bold";'
        " labelloc=b;",  # with rankdir=BT, a cluster's "b" label is drawn at its top
        *nodes,
        "  }",
    ]


def node_line(graph: Graph, cls: URIRef, fids: dict[str, str]) -> str:
    """Return the DOT line of one class: English label, French label under it, linked to index.html."""
    english = label_in(graph, cls, "en") or label_in(graph, cls, None) or local_name(cls)
    french = label_in(graph, cls, "fr")
    label = f"<B>{html.escape(english, quote=False)}</B>"
    if french and french != english:
        label += f'<BR/><FONT POINT-SIZE="9" COLOR="#555555"><I>{html.escape(french, quote=False)}</I></FONT>'
    target = f"{INDEX_FILE}#{fids.get(str(cls), local_name(cls))}"
    return f"{dot_id(str(cls))} [label=<{label}>, URL={dot_id(target)}, tooltip={dot_id(str(cls))}];"


def subclass_edges(graph: Graph, classes: set[URIRef]) -> list[str]:
    """Return the DOT edges from each class to its named AGRS superclasses (UML hollow arrows)."""
    return [
        f"  {dot_id(str(sub))} -> {dot_id(str(sup))} [arrowhead=empty, arrowsize=1.1];"
        for sub in sorted(classes)
        for sup in sorted(graph.objects(sub, RDFS.subClassOf))
        if sup in classes and sup != sub
    ]


def property_edges(graph: Graph, classes: set[URIRef]) -> list[str]:
    """Return the DOT edges of object properties from their domain to their range, both AGRS classes.

    The properties between the same two classes share one edge, labelled with one line each.
    """
    names: dict[tuple[URIRef, URIRef], list[str]] = {}
    for prop in sorted(p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)):
        name = label_in(graph, prop, "en") or label_in(graph, prop, None) or local_name(prop)
        for domain in sorted(d for d in graph.objects(prop, RDFS.domain) if d in classes):
            for range_ in sorted(r for r in graph.objects(prop, RDFS.range) if r in classes):
                names.setdefault((domain, range_), []).append(name)
    return [
        f"  {dot_id(str(domain))} -> {dot_id(str(range_))} [label={dot_lines(sorted(set(found)))},"
        ' color="#1f5fa8", fontcolor="#1f5fa8", arrowhead=vee, style=dashed];'
        for (domain, range_), found in sorted(names.items())
    ]


def dot_lines(lines: list[str]) -> str:
    """Return lines as one quoted DOT label, one centred line each."""
    return '"' + "\\n".join(dot_id(line)[1:-1] for line in lines) + '"'


def render_svg(dot_path: Path, svg_path: Path) -> Path:
    """Run `dot -Tsvg` on dot_path; raise CheckCannotRun if Graphviz is missing or fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise CheckCannotRun(
            f"Graphviz's dot is not installed, so {svg_path} was not drawn ({dot_path} was written):"
            " apt-get install graphviz"
        )
    try:
        run = subprocess.run(
            [dot, "-Tsvg", str(dot_path), "-o", str(svg_path)], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CheckCannotRun(f"dot could not draw {dot_path}: {error}") from error
    if run.returncode != 0:
        raise CheckCannotRun(f"dot failed on {dot_path}: {run.stderr.strip()}")
    return svg_path
