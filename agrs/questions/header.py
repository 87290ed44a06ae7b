"""The `#+` YAML header of a question file (grlc convention), read strictly: every mistake names file and line.

Keys: `summary`, `summary_fr`, `description`, `description_fr`, `tags` (required); `method`, `pagination`,
`defaults`, `enumerate`, `params`, `endpoints` (optional; `endpoints` for federated questions only, see
agrs.questions.federated). Any other key is an error, and so are the grlc keys AGRS does not
use (`endpoint`, `transform`, `endpoint_in_url`): refused rather than silently ignored.
"""

import datetime
import io
from dataclasses import replace
from pathlib import Path

from agrs.questions.binding import term_of
from agrs.questions.errors import QuestionError
from agrs.questions.federated import read_endpoints
from agrs.questions.parameters import Parameter

REQUIRED_KEYS = ("summary", "summary_fr", "description", "description_fr", "tags")
OPTIONAL_KEYS = ("method", "pagination", "defaults", "enumerate", "params", "endpoints")
#: grlc keys that AGRS does not implement: refused rather than silently ignored
UNSUPPORTED_KEYS = ("endpoint", "transform", "endpoint_in_url")
METHODS = ("GET", "POST")
PARAM_DOC_KEYS = ("description", "description_fr")


def header_text(text: str, path: Path) -> tuple[str, int]:
    """Return the YAML of the leading `#+` lines and how many there are; a `#+` line further down is an error."""
    lines = text.splitlines()
    count = 0
    while count < len(lines) and lines[count].startswith("#+"):
        count += 1
    if count == 0:
        raise QuestionError("the file must open with a `#+` YAML header (summary, description, tags…)", path, 1)
    for number, line in enumerate(lines[count:], start=count + 1):
        if line.lstrip().startswith("#+"):
            raise QuestionError("a `#+` header line after the header ended (the header is the opening lines)",
                                path, number)  # fmt: skip
    body = [line[2:] for line in lines[:count]]
    # `#+ key: value`: drop the one space after `#+` when every line has it, so YAML sees column 0.
    if all(line.startswith(" ") or not line.strip() for line in body):
        body = [line[1:] for line in body]
    return "\n".join(body) + "\n", count


def compose_header(header: str, path: Path):
    """Return the header's YAML as composed nodes (to keep line numbers); QuestionError on bad YAML."""
    import yaml

    try:
        node = yaml.compose(header, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionError(f"the header is not valid YAML: {problem}", path,
                            None if mark is None else mark.line + 1) from None  # fmt: skip
    if not isinstance(node, yaml.MappingNode):
        raise QuestionError("the header must be a YAML mapping of keys (summary:, description:…)", path, 1)
    return node


def _value(node, path: Path):
    import yaml

    try:
        return yaml.SafeLoader(io.StringIO("")).construct_object(node, deep=True)
    except yaml.YAMLError as error:
        raise QuestionError(f"bad YAML value: {error}", path, node.start_mark.line + 1) from None


def check_header(mapping, parameters: dict[str, Parameter], path: Path, header_lines: int) -> dict:
    """Check every key of the composed header `mapping`; return the Question fields it gives.

    The fields are summary, summary_fr, description, description_fr, tags, method, pagination, endpoints, and
    parameters: `parameters` (those the query declares) completed by their defaults, `enumerate` flags and
    documentation, then one parameter per endpoint (`<name>_endpoint`, default the endpoint's IRI).
    `header_lines` (the header's length) is the line a missing key is reported on.
    """
    import yaml

    seen: dict[str, object] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in mapping.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise QuestionError("a header key must be a plain word", path, line)
        key = key_node.value
        if key in UNSUPPORTED_KEYS:
            raise QuestionError(f"header key {key!r} is a grlc key AGRS does not support", path, line)
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            allowed = ", ".join((*REQUIRED_KEYS, *OPTIONAL_KEYS))
            raise QuestionError(f"unknown header key {key!r} (allowed: {allowed})", path, line)
        if key in seen:
            raise QuestionError(f"header key {key!r} given twice", path, line)
        seen[key], lines[key] = (value_node, _value(value_node, path)), line
    for key in REQUIRED_KEYS:
        if key not in seen:
            raise QuestionError(f"missing required header key {key!r}", path, header_lines)
    fields: dict[str, object] = {}
    for key in ("summary", "summary_fr", "description", "description_fr"):
        value = seen[key][1]
        if not isinstance(value, str) or not value.strip():
            raise QuestionError(f"{key!r} must be non-empty text", path, lines[key])
        if key.startswith("summary") and "\n" in value.strip():
            raise QuestionError(f"{key!r} must be one line", path, lines[key])
        fields[key] = value.strip()
    tags = seen["tags"][1]
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
        raise QuestionError("'tags' must be a non-empty list of words", path, lines["tags"])
    fields["tags"] = [tag.strip() for tag in tags]
    method = seen.get("method", (None, "GET"))[1]
    if method not in METHODS:
        raise QuestionError(f"'method' must be GET or POST, not {method!r}", path, lines.get("method"))
    fields["method"] = method
    pagination = seen.get("pagination", (None, None))[1]
    if pagination is not None and (isinstance(pagination, bool) or not isinstance(pagination, int) or pagination < 1):
        raise QuestionError(f"'pagination' must be a positive integer, not {pagination!r}", path, lines["pagination"])
    fields["pagination"] = pagination
    defaults = _defaults(seen.get("defaults"), parameters, path)
    enumerated = _enumerate(seen.get("enumerate"), parameters, path)
    docs = _param_docs(seen.get("params"), parameters, path)
    fields["parameters"] = [
        replace(
            p,
            default=defaults.get(name),
            enumerate=name in enumerated,
            description=docs.get(name, {}).get("description"),
            description_fr=docs.get(name, {}).get("description_fr"),
        )
        for name, p in parameters.items()
    ]
    fields["endpoints"] = read_endpoints(seen.get("endpoints"), path)
    for endpoint in fields["endpoints"]:
        if endpoint.parameter in parameters:
            raise QuestionError(f"parameter {endpoint.parameter!r} is the parameter of endpoint {endpoint.name!r}: "
                                "rename the query's variable", path, lines["endpoints"])  # fmt: skip
        fields["parameters"].append(
            Parameter(
                endpoint.parameter,
                "iri",
                False,
                default=endpoint.iri,
                description=endpoint.description,
                description_fr=endpoint.description_fr,
                endpoint=endpoint.iri,
            )
        )
    return fields


def _defaults(entry, parameters: dict[str, Parameter], path: Path) -> dict[str, str]:
    """Check `defaults:` (grlc form: a list of one-key maps) and return {name: value as text}."""
    if entry is None:
        return {}
    node, value = entry
    line = node.start_mark.line + 1
    if not isinstance(value, list):
        raise QuestionError("'defaults' must be a list of one-key maps (- name: value)", path, line)
    defaults: dict[str, str] = {}
    for item_node, item in zip(node.value, value, strict=True):
        item_line = item_node.start_mark.line + 1
        if not isinstance(item, dict) or len(item) != 1:
            raise QuestionError("each 'defaults' entry must be a one-key map (- name: value)", path, item_line)
        ((name, default),) = item.items()
        if name not in parameters:
            raise QuestionError(f"default for {name!r}, which is not a parameter of the query "
                                f"(parameters: {', '.join(parameters) or 'none'})", path, item_line)  # fmt: skip
        if name in defaults:
            raise QuestionError(f"two defaults for {name!r}", path, item_line)
        if isinstance(default, bool):
            default = "true" if default else "false"
        elif isinstance(default, datetime.date):
            default = default.isoformat()
        elif isinstance(default, int | float):
            default = str(default)
        if not isinstance(default, str):
            raise QuestionError(f"the default of {name!r} must be a single value", path, item_line)
        try:
            term_of(default, parameters[name].type)
        except ValueError as error:
            raise QuestionError(f"the default of {name!r} is not of its type {parameters[name].type}: {error}",
                                path, item_line) from None  # fmt: skip
        defaults[name] = default
    return defaults


def _enumerate(entry, parameters: dict[str, Parameter], path: Path) -> set[str]:
    """Check `enumerate:` (a list of parameter names) and return the names."""
    if entry is None:
        return set()
    node, value = entry
    line = node.start_mark.line + 1
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise QuestionError("'enumerate' must be a list of parameter names", path, line)
    for name in value:
        if name not in parameters:
            raise QuestionError(f"'enumerate' names {name!r}, which is not a parameter of the query", path, line)
    return set(value)


def _param_docs(entry, parameters: dict[str, Parameter], path: Path) -> dict[str, dict[str, str]]:
    """Check `params:` (AGRS extension: name → {description, description_fr}) and return it, texts stripped."""
    if entry is None:
        return {}
    node, value = entry
    line = node.start_mark.line + 1
    if not isinstance(value, dict):
        raise QuestionError("'params' must map parameter names to {description, description_fr}", path, line)
    for key_node, _ in node.value:
        name, doc_line = key_node.value, key_node.start_mark.line + 1
        if name not in parameters:
            raise QuestionError(f"'params' documents {name!r}, which is not a parameter of the query", path, doc_line)
        doc = value[name]
        if not isinstance(doc, dict):
            raise QuestionError(f"'params' entry {name!r} must be a map with description, description_fr",
                                path, doc_line)  # fmt: skip
        for key in doc:
            if key not in PARAM_DOC_KEYS:
                raise QuestionError(f"unknown key {key!r} in 'params' entry {name!r} (allowed: description, "
                                    "description_fr)", path, doc_line)  # fmt: skip
            if not isinstance(doc[key], str) or not doc[key].strip():
                raise QuestionError(f"'params' {name}.{key} must be non-empty text", path, doc_line)
    return {name: {k: v.strip() for k, v in doc.items()} for name, doc in value.items()}
