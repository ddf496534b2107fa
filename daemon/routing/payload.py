"""CLIProxyAPI's ``payload`` rules: parameters set on, or removed from, the upstream body.

    payload:
      default:        # set when the path is absent (the first matching rule wins per path)
        - models: [{name: "gemini-2.5-*", protocol: gemini}]
          params: {"generationConfig.thinkingConfig.thinkingBudget": 32768}
      default-raw:    # as default; each value is a JSON text
      override:       # always set (a later matching rule wins)
      override-raw:   # as override; each value is a JSON text
      filter:         # remove the listed paths
        - models: [{name: "gpt-*"}]
          params: ["metadata"]

Applied in that order, to the body as it goes upstream (after translation). A rule applies when
one of its ``models`` entries matches: ``name`` is a pattern where ``*`` matches anything
(case-sensitive, as in CLIProxyAPI) tried on the upstream model id and on the id the client
asked for; ``protocol`` (the upstream's), ``from-protocol`` (the client's), ``headers`` (client
header name → ``*`` pattern), ``match``/``not-match`` (path → JSON value) and
``exist``/``not-exist`` (paths) narrow it further. Paths are dotted (``a.b.0.c``; ``\\.`` for a
dot inside a key; an integer indexes an array, ``-1`` appends); intermediate objects are created.
gjson queries and wildcards (``#``, ``*``, ``?``, ``|``, ``@``) are not supported.

CLIProxyAPI protocol names → WireFormat (our own WireFormat values are accepted too):

    protocol       openai → openai_chat        codex → openai_responses
                   claude → anthropic          gemini → gemini (AI Studio, Vertex)
                   antigravity → gemini, and only when the target's family is antigravity
    from-protocol  openai → openai_chat        responses (openai-response[s]) → openai_responses
                   claude → anthropic          gemini (gemini-cli) → gemini
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from daemon.config.model import Settings
from daemon.errors import InvalidRequest
from daemon.model import WireFormat
from daemon.routing.jsonpath import Path, delete, get, json_equal, parse_path, set_value
from daemon.routing.suffix import parse_suffix

PROTOCOLS: Mapping[str, tuple[WireFormat, str | None]] = {
    "openai": (WireFormat.OPENAI_CHAT, None),
    "codex": (WireFormat.OPENAI_RESPONSES, None),
    "claude": (WireFormat.ANTHROPIC, None),
    "gemini": (WireFormat.GEMINI, None),
    "antigravity": (WireFormat.GEMINI, "antigravity"),
    **{str(f): (f, None) for f in WireFormat},
}
FROM_PROTOCOLS: Mapping[str, WireFormat] = {
    "openai": WireFormat.OPENAI_CHAT,
    "responses": WireFormat.OPENAI_RESPONSES,
    "response": WireFormat.OPENAI_RESPONSES,
    "openai-response": WireFormat.OPENAI_RESPONSES,
    "openai-responses": WireFormat.OPENAI_RESPONSES,
    "claude": WireFormat.ANTHROPIC,
    "gemini": WireFormat.GEMINI,
    "gemini-cli": WireFormat.GEMINI,
    **{str(f): f for f in WireFormat},
}
SECTIONS = ("default", "default-raw", "override", "override-raw", "filter")
MATCHER_KEYS = frozenset(
    {"name", "protocol", "from-protocol", "headers", "match", "not-match", "exist", "not-exist"}
)


@dataclass(frozen=True, slots=True)
class ModelMatcher:
    name: re.Pattern[str]
    protocol: WireFormat | None = None
    family: str | None = None  # a protocol that also names the target's family
    from_protocol: WireFormat | None = None
    headers: tuple[tuple[str, re.Pattern[str]], ...] = ()
    match: tuple[tuple[Path, Any], ...] = ()
    not_match: tuple[tuple[Path, Any], ...] = ()
    exist: tuple[Path, ...] = ()
    not_exist: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    models: tuple[ModelMatcher, ...]
    params: tuple[tuple[Path, Any], ...]  # filter rules: the value is None


@dataclass(frozen=True, slots=True)
class _Context:
    candidates: tuple[str, ...]
    wire_format: WireFormat
    family: str | None
    source_format: WireFormat | None
    headers: Mapping[str, list[str]]


class PayloadRules:
    def __init__(
        self,
        default: tuple[Rule, ...] = (),
        override: tuple[Rule, ...] = (),
        filter: tuple[Rule, ...] = (),
    ) -> None:
        self.default = default
        self.override = override
        self.filter = filter

    @classmethod
    def from_settings(cls, settings: Settings) -> PayloadRules:
        return cls.parse(settings.extra.get("payload"))

    @classmethod
    def parse(cls, raw: object) -> PayloadRules:
        """Rules from the raw ``payload`` value; ValueError naming the place of a bad shape."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ValueError(f"payload: expected a mapping of {', '.join(SECTIONS)}")
        for key in raw:
            if key not in SECTIONS:
                raise ValueError(f"payload: unknown key {key!r}; expected {', '.join(SECTIONS)}")
        rules = {key: _rules(raw.get(key), f"payload.{key}", key) for key in SECTIONS}
        return cls(
            default=rules["default"] + rules["default-raw"],
            override=rules["override"] + rules["override-raw"],
            filter=rules["filter"],
        )

    @property
    def empty(self) -> bool:
        return not (self.default or self.override or self.filter)

    def apply(
        self,
        body: dict[str, Any],
        model: str,
        wire_format: WireFormat,
        *,
        requested: str | None = None,
        source_format: WireFormat | None = None,
        headers: Mapping[str, str] | None = None,
        family: str | None = None,
    ) -> None:
        """Mutate `body` (in `wire_format`, going to `model`) by the matching rules.

        `requested` is the id the client asked for (rules may name an alias); `source_format`
        the client's format (for ``from-protocol``); `headers` the client's headers; `family`
        the target's provider family.
        """
        if self.empty:
            return
        context = _Context(
            candidates=_candidates(model, requested),
            wire_format=wire_format,
            family=family,
            source_format=source_format,
            headers=_header_lists(headers or {}),
        )
        for rule in self.default:
            if _applies(rule, body, context):
                for path, value in rule.params:
                    if not get(body, path)[0]:
                        set_value(body, path, copy.deepcopy(value))
        for rule in self.override:
            if _applies(rule, body, context):
                for path, value in rule.params:
                    set_value(body, path, copy.deepcopy(value))
        for rule in self.filter:
            if _applies(rule, body, context):
                for path, _ in rule.params:
                    delete(body, path)


# --------------------------------------------------------------------------- matching


def _candidates(model: str, requested: str | None) -> tuple[str, ...]:
    found = [model.strip()]
    if requested and requested.strip():
        try:
            base, reasoning = parse_suffix(requested)
        except InvalidRequest:
            base, reasoning = requested.strip(), None
        found.append(base)
        if reasoning is not None:
            found.append(requested.strip())
    return tuple(dict.fromkeys(c for c in found if c))


def _header_lists(headers: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        out.setdefault(name.lower(), []).append(value)
    return out


def _applies(rule: Rule, body: dict[str, Any], context: _Context) -> bool:
    return any(
        _matches(matcher, body, context, candidate)
        for candidate in context.candidates
        for matcher in rule.models
    )


def _matches(m: ModelMatcher, body: dict[str, Any], c: _Context, candidate: str) -> bool:
    if m.protocol is not None and m.protocol != c.wire_format:
        return False
    if m.family is not None and m.family != c.family:
        return False
    if m.from_protocol is not None and m.from_protocol != c.source_format:
        return False
    for name, pattern in m.headers:
        if not any(pattern.fullmatch(v) for v in c.headers.get(name, ())):
            return False
    if not m.name.fullmatch(candidate):
        return False
    if not all(_equals_at(body, path, value) for path, value in m.match):
        return False
    if any(_equals_at(body, path, value) for path, value in m.not_match):
        return False
    if not all(get(body, path)[1] is not None for path in m.exist):
        return False
    return all(get(body, path)[1] is None for path in m.not_exist)


def _equals_at(body: dict[str, Any], path: Path, expected: Any) -> bool:
    found, value = get(body, path)
    return found and json_equal(value, expected)


# --------------------------------------------------------------------------- parsing


def _rules(raw: object, where: str, section: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list of rules")
    return tuple(_rule(item, f"{where}[{i}]", section) for i, item in enumerate(raw))


def _rule(raw: object, where: str, section: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping with models and params")
    _known(raw, frozenset({"models", "params"}), where)
    listed = raw.get("models")
    if not isinstance(listed, list) or not listed:
        raise ValueError(f"{where}.models: expected a non-empty list of {{name: pattern, ...}}")
    models = tuple(_matcher(m, f"{where}.models[{i}]") for i, m in enumerate(listed))
    params = raw.get("params")
    if section == "filter":
        if not isinstance(params, list) or not params:
            raise ValueError(f"{where}.params: expected a list of paths to remove")
        paths = tuple((parse_path(p, f"{where}.params[{i}]"), None) for i, p in enumerate(params))
        return Rule(models, paths)
    if not isinstance(params, Mapping) or not params:
        raise ValueError(f"{where}.params: expected a mapping of path: value")
    raw_json = section.endswith("-raw")
    return Rule(
        models,
        tuple(
            (parse_path(str(k), f"{where}.params"), _value(v, f"{where}.params.{k}", raw_json))
            for k, v in params.items()
        ),
    )


def _value(value: Any, where: str, raw_json: bool) -> Any:
    if raw_json and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"{where}: not valid JSON ({error})") from None
    return value


def _matcher(raw: object, where: str) -> ModelMatcher:
    if not isinstance(raw, Mapping):
        raise ValueError(f'{where}: expected a mapping such as {{name: "gpt-*"}}')
    _known(raw, MATCHER_KEYS, where)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}.name: expected a model name pattern")
    protocol, family = _protocol(raw.get("protocol"), f"{where}.protocol")
    source = raw.get("from-protocol")
    from_protocol = None
    if source is not None:
        from_protocol = FROM_PROTOCOLS.get(str(source).strip().lower())
        if from_protocol is None:
            raise ValueError(
                f"{where}.from-protocol: unknown protocol {source!r}; "
                f"expected one of {', '.join(FROM_PROTOCOLS)}"
            )
    headers = raw.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise ValueError(f"{where}.headers: expected a mapping of header: pattern")
    return ModelMatcher(
        name=_glob(name.strip()),
        protocol=protocol,
        family=family,
        from_protocol=from_protocol,
        headers=tuple((str(k).strip().lower(), _glob(str(v))) for k, v in headers.items()),
        match=_conditions(raw.get("match"), f"{where}.match"),
        not_match=_conditions(raw.get("not-match"), f"{where}.not-match"),
        exist=_paths(raw.get("exist"), f"{where}.exist"),
        not_exist=_paths(raw.get("not-exist"), f"{where}.not-exist"),
    )


def _protocol(value: object, where: str) -> tuple[WireFormat | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    found = PROTOCOLS.get(str(value).strip().lower())
    if found is None:
        raise ValueError(
            f"{where}: unknown protocol {value!r}; expected one of {', '.join(PROTOCOLS)}"
        )
    return found


def _conditions(raw: object, where: str) -> tuple[tuple[Path, Any], ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise ValueError(f"{where}: expected a list of {{path: value}} mappings")
    return tuple((parse_path(str(k), where), v) for item in items for k, v in item.items())


def _paths(raw: object, where: str) -> tuple[Path, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list of paths")
    return tuple(parse_path(p, f"{where}[{i}]") for i, p in enumerate(raw))


def _known(raw: Mapping[Any, Any], keys: frozenset[str], where: str) -> None:
    for key in raw:
        if key not in keys:
            raise ValueError(f"{where}: unknown key {key!r}; expected {', '.join(sorted(keys))}")


def _glob(pattern: str) -> re.Pattern[str]:
    """A pattern where `*` matches any run of characters and nothing else is special."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
