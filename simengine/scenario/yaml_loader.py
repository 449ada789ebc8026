"""Hardened, location-keeping YAML loader (and matching dumper) for scenario files.

Scenario files are user input, so reading one must never execute code, hang, or crash. This
module parses with PyYAML's *safe* machinery only (the event stream and composed nodes; never
``yaml.load``), builds plain Python values itself, and remembers the line/column of every node so
later validation errors can point at the exact spot. Scalars follow the YAML 1.2 core schema, not
PyYAML's 1.1 rules: ``on:``/``yes``/``no`` stay strings and dates stay text. Limits on size,
nesting and alias expansion keep hostile input (deep brackets, "billion laughs") cheap to refuse.
Every problem becomes a located :class:`~simengine.errors.ScenarioError`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from simengine.errors import ScenarioError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "LocatedDocument",
    "Mark",
    "dump_yaml",
    "load_yaml",
    "load_yaml_file",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64  # nesting of mappings/sequences
MAX_NODES = 100_000  # nodes visited after alias expansion

_Y = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    _Y + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
_ALLOWED_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ})
_MERGE = _Y + "merge"
# Private marker for an untagged plain scalar: we resolve those ourselves (core schema). It cannot
# be forged from a file because the pre-scan refuses every tag outside _ALLOWED_TAGS.
_PLAIN = "tag:simengine.invalid,2024:plain"

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN"
)
# Characters YAML forbids in a stream (same set as PyYAML's reader), checked up front so the
# error carries a proper line/column.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

# The C parser is much faster on large files; both share PyYAML's safe composer semantics.
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a scenario file."""

    line: int
    col: int


class _Loc:
    """Where one node sits: its value mark, its key mark (mapping entries), and its children.

    Marks are PyYAML's own (0-based) objects, converted to :class:`Mark` only when asked for, so
    building the tree stays cheap even for 100 000 nodes.
    """

    __slots__ = ("children", "key_mark", "mark")

    def __init__(self, mark: Any, children: dict[str, _Loc] | list[_Loc] | None = None) -> None:
        self.mark = mark
        self.key_mark: Any = None
        self.children = children

    def child(self, part: str | int) -> _Loc | None:
        kids = self.children
        if isinstance(kids, dict) and isinstance(part, str):
            return kids.get(part)
        if isinstance(kids, list) and type(part) is int and 0 <= part < len(kids):
            return kids[part]
        return None


class LocatedDocument:
    """Plain data loaded from a YAML file plus the position of every node in it."""

    __slots__ = ("_root", "data", "file")

    def __init__(self, data: Any, file: str, root: _Loc | None = None) -> None:
        self.data = data
        self.file = file
        self._root = root

    def __repr__(self) -> str:
        return f"LocatedDocument(file={self.file!r}, data={self.data!r})"

    def _walk(self, path: Sequence[str | int]) -> tuple[_Loc | None, bool]:
        """The node at the longest existing prefix of ``path``, and whether all of it exists."""
        loc = self._root
        if loc is None:
            return None, False
        for part in path:
            child = loc.child(part)
            if child is None:
                return loc, False
            loc = child
        return loc, True

    def location(self, path: Sequence[str | int]) -> Mark | None:
        """Mark of the VALUE node at ``path`` (keys / list indices).

        If ``path`` does not exist, the mark of the longest existing prefix (so errors about
        missing/extra keys still land near the right spot); None only if the document is empty.
        """
        loc, _ = self._walk(path)
        return None if loc is None else _mark(loc.mark)

    def key_location(self, path: Sequence[str | int]) -> Mark | None:
        """For a mapping entry: the mark of its KEY (for 'unknown key' errors).

        Falls back to :meth:`location` for list items, the root, and paths that do not exist.
        """
        loc, found = self._walk(path)
        if loc is None:
            return None
        return _mark(loc.key_mark if found and loc.key_mark is not None else loc.mark)


def _mark(mark: Any) -> Mark:
    """Convert a 0-based PyYAML mark to a 1-based :class:`Mark`."""
    return Mark(mark.line + 1, mark.column + 1)


def _error(message: str, file: str, mark: Any = None) -> ScenarioError:
    """A ScenarioError located at a PyYAML mark (0-based) when one is known."""
    if mark is None:
        return ScenarioError(message, file=file)
    return ScenarioError(message, file=file, line=mark.line + 1, col=mark.column + 1)


def _error_at_offset(message: str, file: str, text: str, offset: int) -> ScenarioError:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return ScenarioError(message, file=file, line=line, col=col)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_Y) :] if tag.startswith(_Y) else tag


def _core_tag(text: str) -> str:
    """The tag the YAML 1.2 core schema gives an untagged plain scalar."""
    if text in _NULLS:
        return _NULL
    if text in _TRUES or text in _FALSES:
        return _BOOL
    if _INT_RE.fullmatch(text):
        return _INT
    if _FLOAT_RE.fullmatch(text):
        return _FLOAT
    return _STR


def _convert(text: str, tag: str) -> Any:
    """The Python value of ``text`` under a core-schema ``tag`` it is known to match."""
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text in _TRUES
    if tag == _INT:
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)  # ValueError past Python's int-digit limit; reported by the caller
    if text.lstrip("+-") in (".inf", ".Inf", ".INF"):
        return -math.inf if text.startswith("-") else math.inf
    if text in (".nan", ".NaN", ".NAN"):
        return math.nan
    return float(text)


class _Loader(_SafeBase):  # type: ignore[misc, valid-type]
    """Safe loader whose resolver leaves untagged plain scalars to our core-schema resolution."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


def _prescan(text: str, file: str) -> None:
    """Walk the event stream (iteratively) to refuse deep nesting, foreign tags, extra documents.

    Runs before composing, whose recursion would otherwise be driven by the input's depth.
    """
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _error(
                    "more than one YAML document: a scenario file holds exactly one",
                    file,
                    event.start_mark,
                )
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _error(f"nesting deeper than {MAX_DEPTH} levels", file, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _ALLOWED_TAGS:
            raise _error(
                f"tag '{_show_tag(tag)}' is not allowed: scenario files hold plain data only",
                file,
                event.start_mark,
            )


class _Builder:
    """Turns a composed node graph into plain data plus a location tree, within the limits."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.count = 0
        self.seen: set[int] = set()  # nodes already built once: meeting one again is an alias
        self.active: set[int] = set()  # collections being built (to catch recursive aliases)
        self.expanded = False

    def build(self, node: yaml.Node, depth: int, alias_mark: Any) -> tuple[Any, _Loc]:
        self.count += 1
        node_id = id(node)
        if node_id in self.seen:
            self.expanded = True
            alias_mark = alias_mark or node.start_mark
        else:
            self.seen.add(node_id)
        if self.count > MAX_NODES:
            what = "aliases expand to" if self.expanded else "document has"
            raise _error(
                f"{what} more than {MAX_NODES} nodes", self.file, alias_mark or node.start_mark
            )
        mark = node.start_mark
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node), _Loc(mark)
        if node_id in self.active:
            raise _error(
                "recursive alias: a node contains an alias to itself",
                self.file,
                alias_mark or node.start_mark,
            )
        if depth >= MAX_DEPTH:
            raise _error(
                f"nesting deeper than {MAX_DEPTH} levels (through aliases)",
                self.file,
                alias_mark or node.start_mark,
            )
        expected = _MAP if isinstance(node, yaml.MappingNode) else _SEQ
        if node.tag != expected:
            kind = "mapping" if expected == _MAP else "list"
            raise _error(
                f"tag '{_show_tag(node.tag)}' does not fit a {kind}", self.file, node.start_mark
            )
        self.active.add(node_id)
        try:
            if expected == _SEQ:
                items = [self.build(item, depth + 1, alias_mark) for item in node.value]
                return [value for value, _ in items], _Loc(mark, [loc for _, loc in items])
            return self.mapping(node, mark, depth, alias_mark)
        finally:
            self.active.discard(node_id)

    def mapping(
        self, node: yaml.MappingNode, mark: Any, depth: int, alias_mark: Any
    ) -> tuple[dict[str, Any], _Loc]:
        result: dict[str, Any] = {}
        children: dict[str, _Loc] = {}
        for key_node, value_node in node.value:
            self.count += 1
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "mapping" if isinstance(key_node, yaml.MappingNode) else "list"
                raise _error(
                    f"mapping keys must be plain strings, not a {kind}",
                    self.file,
                    key_node.start_mark,
                )
            key = key_node.value  # keys are always the text as written: `on:` stays "on"
            if key == "<<" and key_node.tag == _PLAIN:
                raise _error(
                    "merge keys ('<<') are not supported: write the keys out",
                    self.file,
                    key_node.start_mark,
                )
            if key in children:
                line = children[key].key_mark.line + 1
                raise _error(
                    f"duplicate key {key!r} (first defined on line {line})",
                    self.file,
                    key_node.start_mark,
                )
            value, loc = self.build(value_node, depth + 1, alias_mark)
            loc.key_mark = key_node.start_mark
            result[key] = value
            children[key] = loc
        return result, _Loc(mark, children)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        text, tag = node.value, node.tag
        if tag == _STR:
            return text
        if tag == _PLAIN:
            tag = _core_tag(text)
            if tag == _STR:
                return text
        elif tag in (_MAP, _SEQ):
            raise _error(
                f"tag '{_show_tag(tag)}' does not fit a single value", self.file, node.start_mark
            )
        elif not (_core_tag(text) == tag or (tag == _FLOAT and _core_tag(text) == _INT)):
            raise _error(f"{text!r} is not a valid {_show_tag(tag)}", self.file, node.start_mark)
        try:
            if tag == _FLOAT and _core_tag(text) == _INT:  # `!!float 0x10` is 16.0
                return float(_convert(text, _INT))
            return _convert(text, tag)
        except (ValueError, OverflowError):  # past Python's int-digit limit or float range
            raise _error(
                f"number is too long to read ({len(text)} characters)", self.file, node.start_mark
            ) from None


def _decode(text: str | bytes, file: str) -> str:
    """Check size and encoding; return the text without a leading byte-order mark."""
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        if len(raw) > MAX_BYTES:
            raise ScenarioError(f"file is larger than {MAX_BYTES} bytes", file=file)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise ScenarioError(
                f"file is not UTF-8 text: {exc.reason} (byte 0x{raw[exc.start]:02x})",
                file=file,
                line=line,
                col=col,
            ) from None
    elif len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioError(f"file is larger than {MAX_BYTES} bytes", file=file)
    text = text.removeprefix("\ufeff")
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        raise _error_at_offset(
            f"unacceptable character #x{ord(bad.group()):04x}: control characters and lone "
            "surrogates are not allowed in YAML",
            file,
            text,
            bad.start(),
        )
    return text


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ScenarioError:
    message = f"invalid YAML: {exc.problem or 'syntax error'}"
    if exc.context:
        message += f" ({exc.context})"
    return _error(message, file, exc.problem_mark or exc.context_mark)


def load_yaml(text: str | bytes, *, file: str) -> LocatedDocument:
    """Safely load one YAML document into plain data with node locations.

    Raises only :class:`ScenarioError` (located where possible), whatever the text holds; a
    ``text`` that is neither str nor bytes is a programming error (TypeError).
    """
    if not isinstance(text, str | bytes | bytearray | memoryview):
        raise TypeError(f"load_yaml() needs str or bytes, not {type(text).__name__}")
    try:
        source = _decode(text, file)
        _prescan(source, file)
        loader = _Loader(source)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        if root is None:
            return LocatedDocument(None, file)
        data, loc = _Builder(file).build(root, 0, None)
        return LocatedDocument(data, file, loc)
    except ScenarioError:
        raise
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ScenarioError("document is nested too deeply to read", file=file) from None
    except MemoryError:
        raise ScenarioError("document is too large to read", file=file) from None
    except Exception as exc:  # hardening: a loader bug must still surface as a user error
        raise ScenarioError(
            f"unexpected error while reading YAML (a bug in simengine, please report it): "
            f"{type(exc).__name__}: {exc}",
            file=file,
        ) from exc


def load_yaml_file(path: str | os.PathLike[str]) -> LocatedDocument:
    """Read and :func:`load_yaml` a file; an unreadable or oversized file is a ScenarioError."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    return load_yaml(raw, file=file)


class _Dumper(yaml.SafeDumper):
    """Safe block-style dumper that quotes every string load_yaml would not read back as text."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            return _MERGE if value == "<<" else _core_tag(value)
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def ignore_aliases(self, data: Any) -> bool:
        return True  # plain data: repeat shared objects instead of writing anchors

    def represent_text(self, data: str) -> yaml.ScalarNode:
        # PyYAML would write U+0085/U+2028/U+2029 raw inside single quotes, where the reader
        # folds them as line breaks; double quotes escape them instead.
        style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
        return self.represent_scalar(_STR, data, style=style)

    def represent_str_keys(self, data: dict[Any, Any]) -> yaml.MappingNode:
        bad = next((key for key in data if not isinstance(key, str)), None)
        if bad is not None:
            raise TypeError(f"dump_yaml: mapping keys must be strings, got {bad!r}")
        return self.represent_mapping(_MAP, data)


_Dumper.add_representer(str, _Dumper.represent_text)
_Dumper.add_representer(dict, _Dumper.represent_str_keys)
_Dumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def dump_yaml(data: Any) -> str:
    """Deterministic block-style YAML that :func:`load_yaml` reads back to an equal object."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
