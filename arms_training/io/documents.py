"""Read YAML/JSON content files into pydantic models with problems that name file, field and line.

PyYAML's composed node tree knows where each value starts; we keep a map from field path to
line so that a schema error deep in a vignette points at the line a trainer must edit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from arms_training.errors import ContentError, Problem

__all__ = ["read_document", "parse_model", "field_path", "LineMap"]

M = TypeVar("M", bound=BaseModel)
LineMap = dict[tuple, int]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def field_path(loc: tuple) -> str:
    """``("sections", 0, "paragraphs", 2, "id")`` -> ``sections[0].paragraphs[2].id``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


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


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError.single(str(path), "", f"cannot read file: {exc.strerror or exc}") from None
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
    try:
        # Parse once: the composed node gives both the line marks and the data.
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
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
