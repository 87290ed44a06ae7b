"""Enough of a SPARQL lexer to skip comments, strings and IRIs, and to find braces, keywords and variables.

The library never rewrites a query through a parser's algebra (that would lose the author's text); it finds the
places it needs — the query form, the outermost WHERE group, a trailing LIMIT or VALUES, the variables — on
tokens, so that a brace or `?x` inside a string, an IRI or a comment is never mistaken for one.
"""

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\.))*\"\"\"
                  | '''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
                  | \"(?:[^\"\\\n\r]|\\.)*\"
                  | '(?:[^'\\\n\r]|\\.)*')
      | (?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
      | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*(?::[^\s{}()<>\"',;\[\]\#]*)?)
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class Token:
    """One token: its kind (comment, string, iri, var, word, other), where it starts and ends, its text."""

    kind: str
    start: int
    end: int
    text: str


def lex(sparql: str) -> list[Token]:
    """Split SPARQL text into tokens (spaces dropped); an unterminated string becomes `other` characters."""
    tokens = []
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.start(), match.end(), match.group()))
    return tokens


def code_tokens(sparql: str) -> list[Token]:
    """Return the tokens of `sparql` without its comments."""
    return [token for token in lex(sparql) if token.kind != "comment"]


@dataclass(frozen=True)
class Shape:
    """Where things are in a query's text: its form, the outermost WHERE group, the trailing clauses."""

    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE
    form_start: int  # offset of the form keyword (the prologue ends there)
    group_open: int  # offset of the `{` opening the outermost WHERE group
    group_close: int  # offset of its matching `}`
    short_construct: bool  # CONSTRUCT WHERE { … }: the group is also the template (no VALUES allowed inside)
    has_limit: bool  # a top-level LIMIT or OFFSET follows the group
    trailing_values: int | None  # offset of a top-level VALUES after the group, if any


def shape_of(sparql: str) -> Shape:
    """Find the query form and the outermost WHERE group of `sparql` (ValueError when it cannot)."""
    tokens = code_tokens(sparql)
    index = next((i for i, t in enumerate(tokens) if t.kind == "word" and t.text.upper() in FORMS), None)
    if index is None:
        raise ValueError("no SELECT, ASK, CONSTRUCT or DESCRIBE")
    form = tokens[index].text.upper()
    position = index + 1
    if form == "CONSTRUCT" and position < len(tokens) and tokens[position].text == "{":
        position = matching_brace(tokens, position) + 1  # the template
    open_index, parens = None, 0
    for i in range(position, len(tokens)):
        text = tokens[i].text
        if text == "(":
            parens += 1
        elif text == ")":
            parens -= 1
        elif text == "{" and parens == 0:
            open_index = i
            break
        elif text == "}":
            raise ValueError("unbalanced braces")
    if open_index is None:
        raise ValueError("no WHERE group")
    short = form == "CONSTRUCT" and position == index + 1
    close_index = matching_brace(tokens, open_index)
    has_limit, trailing_values = False, None
    depth = 0
    for token in tokens[close_index + 1 :]:
        if token.text in "{(":
            depth += 1
        elif token.text in "})":
            depth -= 1
        elif depth == 0 and token.kind == "word":
            keyword = token.text.upper()
            has_limit = has_limit or keyword in ("LIMIT", "OFFSET")
            if keyword == "VALUES" and trailing_values is None:
                trailing_values = token.start
    return Shape(form, tokens[index].start, tokens[open_index].start, tokens[close_index].start, short,
                 has_limit, trailing_values)  # fmt: skip


def matching_brace(tokens: list[Token], open_index: int) -> int:
    """Return the index of the `}` closing the `{` at `open_index` (ValueError when there is none)."""
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].text == "{":
            depth += 1
        elif tokens[i].text == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced braces")


def variables_of(text: str) -> dict[str, int]:
    """Return {variable name: line of first use} of the query (comments, strings and IRIs skipped)."""
    found: dict[str, int] = {}
    for token in lex(text):
        if token.kind == "var" and token.text[1:] not in found:
            found[token.text[1:]] = text.count("\n", 0, token.start) + 1
    return found


def projection(text: str, shape: Shape) -> list[Token]:
    """Return the tokens between SELECT and the WHERE group (or a FROM clause) at the top level."""
    tokens = [t for t in code_tokens(text) if shape.form_start < t.start < shape.group_open]
    return [t for t in tokens if t.text != "*" or not _inside_parentheses(tokens, t)]


def _inside_parentheses(tokens: list[Token], token: Token) -> bool:
    depth = 0
    for other in tokens:
        if other is token:
            return depth > 0
        depth += {"(": 1, ")": -1}.get(other.text, 0)
    return False


def subquery_projects(tokens: list[Token], select_index: int, variable: str) -> bool:
    """Whether the subquery whose SELECT is at `select_index` projects `variable` (or uses `*`)."""
    depth = 0
    for token in tokens[select_index + 1 :]:
        if token.text == "{" or (depth == 0 and token.kind == "word" and token.text.upper() in ("WHERE", "FROM")):
            return False
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.text == "*":
            return True
        elif token.kind == "var" and token.text[1:] == variable:
            # a bare variable, or the target of `(… AS ?variable)`
            if depth == 0 or tokens[tokens.index(token) - 1].text.upper() == "AS":
                return True
    return False


def prefix_declarations(text: str) -> list[tuple[str, str | None, int]]:
    """Return (name with its colon, IRI token text or None, line) of each PREFIX declaration of `text`."""
    tokens = code_tokens(text)
    found = []
    for i, token in enumerate(tokens[:-2]):
        if token.kind == "word" and token.text.upper() == "PREFIX":
            iri = tokens[i + 2].text if tokens[i + 2].kind == "iri" else None
            found.append((tokens[i + 1].text, iri, text.count("\n", 0, token.start) + 1))
    return found
