"""Read YAML/JSON content files into pydantic models with problems that name file, field and line.

PyYAML's composed node tree knows where each value starts; we keep a map from field path to
line so that a schema error deep in a vignette points at the line a trainer must edit.

A file is untrusted until it is read: only regular files are opened (a FIFO would hang the
reader, a link to a device would exhaust it), of at most :data:`MAX_BYTES`; YAML anchors and
aliases are refused before anything is constructed (a file under 1 KB of nested aliases expands
to gigabytes), as are duplicate keys (YAML lets the last one win, silently) and nesting deeper
than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from arms_training.errors import ContentError, Problem

__all__ = [
    "read_document",
    "read_bytes",
    "dump_yaml",
    "parse_model",
    "field_path",
    "LineMap",
    "MAX_BYTES",
    "MAX_DEPTH",
]

M = TypeVar("M", bound=BaseModel)
LineMap = dict[tuple, int]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The longest shipped case is ~12 kB; a content or response file is far below this.
MAX_BYTES = 4_000_000
# A vignette nests six levels deep; anything near this is not content.
MAX_DEPTH = 64


def field_path(loc: tuple) -> str:
    """``("sections", 0, "paragraphs", 2, "id")`` -> ``sections[0].paragraphs[2].id``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _check(node: yaml.Node, seen: set[int], depth: int, path: str) -> None:
    """Refuse aliases, duplicate keys and deep nesting, walking each composed node once."""
    line = node.start_mark.line + 1
    if id(node) in seen:
        raise ContentError.single(path, "", "YAML anchors and aliases (&name, *name) are not allowed", line)
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise ContentError.single(path, "", f"nested more than {MAX_DEPTH} levels deep", line)
    if isinstance(node, yaml.MappingNode):
        keys: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ContentError.single(path, "", "YAML merge keys (<<) are not allowed", line)
            key, at = key_node.value, key_node.start_mark.line + 1
            if key in keys:
                raise ContentError.single(path, str(key), f"duplicate key (first on line {keys[key]})", at)
            keys[key] = at
            _check(key_node, seen, depth + 1, path)
            _check(value_node, seen, depth + 1, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check(item, seen, depth + 1, path)


def _walk(node: yaml.Node, prefix: tuple, lines: LineMap) -> None:
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[prefix + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, prefix + (key,), lines)
            # Keep the key's own line for the key: a trainer looks for "rating:" not its value.
            lines[prefix + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, prefix + (i,), lines)


class _PlainDumper(yaml.SafeDumper):
    """Writes shared objects out in full: the reader refuses anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    """``data`` as YAML this module reads back: no anchors or aliases, keys in the given order,
    text as UTF-8 characters."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def read_bytes(path: str | Path, *, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ContentError otherwise.

    Checked on the open file, so a name swapped for a FIFO or a device between the check and the
    read is caught too (the open itself does not block: O_NONBLOCK).
    """
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ContentError.single(where, "", f"cannot read file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ContentError.single(where, "", f"cannot read file: {kind}")
        if info.st_size > limit:
            raise ContentError.single(
                where, "", f"file is {info.st_size:,} bytes; the limit is {limit:,}: is it the right file?"
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ContentError.single(where, "", f"file is over the limit of {limit:,} bytes")
    return data


def _decode(path: Path) -> str:
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError.single(
            str(path), "", f"not UTF-8: byte 0x{raw[exc.start]:02x}; save the file as UTF-8", line
        ) from None
    if not text.strip():
        raise ContentError.single(str(path), "", "file is empty")
    return text


def read_document(path: str | Path) -> tuple[Any, LineMap]:
    """Return (data, line map) for a YAML or JSON file; raise ContentError for unreadable files."""
    path = Path(path)
    text = _decode(path)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text), {}
        except json.JSONDecodeError as exc:
            raise ContentError.single(str(path), "", f"malformed JSON: {exc.msg}", exc.lineno) from None
        except RecursionError:
            raise ContentError.single(str(path), "", "malformed JSON: nested too deeply") from None
    try:
        # Parse once: the composed node gives both the line marks and the data; it is checked
        # before anything is constructed from it.
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check(node, set(), 0, str(path))
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise ContentError.single(str(path), "", f"nested more than {MAX_DEPTH} levels deep") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError.single(
            str(path), "", f"malformed YAML: {problem}", mark.line + 1 if mark else None
        ) from None
    lines: LineMap = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _line_for(loc: tuple, lines: LineMap) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None


def _message(err: ErrorDetails, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, err["loc"][:-1])
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown field{hint}"
    value = err.get("input")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{msg} (got {shown})"


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Follow ``loc`` through nested models to list the fields allowed at that point."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _inner_model(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def parse_model(model: type[M], data: Any, path: str | Path, lines: LineMap | None = None) -> M:
    """Validate ``data`` into ``model``; every schema error becomes one Problem."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise ContentError.single(
            str(path), "", f"expected a mapping of fields at the top, got {type(data).__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(str(path), field_path(e["loc"]), _message(e, model), _line_for(e["loc"], lines))
            for e in exc.errors()
        ]
        raise ContentError(problems) from None
