"""Every object that crosses to and from the ingestion workers, found by walking the reference
context's object graph (and the block it yields), each type round-tripped through pickle.

    python -m tests.core.worker_objects [--interpreted] DATABASE_URL

prints a JSON report: the types met, the failures, and how many modules came from a C extension.
The reference context is the one `app.rules.service.load_context` reads from a database in the
realistic configuration (tests/fixtures/realistic.py); `--interpreted` imports the modules of
app.core.compiled.COMPILED_MODULES from their sources (tests/core/native_probe.py), so the same walk
runs on the interpreted classes, in a process of its own.
"""

from __future__ import annotations

import enum
import json
import pickle
import sys
from array import array
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from types import BuiltinFunctionType, FunctionType, MappingProxyType
from typing import Any

# Sent as they are, or by reference (classes and functions are pickled by their qualified name).
LEAVES = (
    str, bytes, int, float, bool, type(None), date, datetime, enum.Enum, array, range,
    type, FunctionType, BuiltinFunctionType,
)  # fmt: skip


def _children(obj: Any) -> Iterator[Any]:
    if isinstance(obj, LEAVES):
        return
    if isinstance(obj, dict | MappingProxyType):
        yield from obj.keys()
        yield from obj.values()
    elif isinstance(obj, list | tuple | set | frozenset):
        yield from obj
    else:  # what pickle sends for it: its constructor's arguments and its state
        _callable, args, *rest = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        yield from args
        if rest and rest[0] is not None:
            yield rest[0]


def walk(*roots: Any) -> dict[type, Any]:
    """The first instance of every type reachable from `roots`, as pickle would reach it."""
    found: dict[type, Any] = {}
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.setdefault(type(obj), obj)
        stack.extend(_children(obj))
    return found


def state(obj: Any) -> Any:
    """A comparable picture of `obj`: what pickle sends for it, recursively."""
    if isinstance(obj, LEAVES):
        return obj.tolist() if isinstance(obj, array) else obj
    if isinstance(obj, dict | MappingProxyType):
        return ("dict", sorted((repr(state(k)), repr(state(v))) for k, v in obj.items()))
    if isinstance(obj, set | frozenset):
        return ("set", sorted(repr(state(item)) for item in obj))
    if isinstance(obj, list | tuple):
        return (type(obj).__name__, [state(item) for item in obj])
    _callable, args, *rest = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    return (type(obj).__qualname__, state(tuple(args)), state(rest[0]) if rest else None)


def round_trip_failures(found: dict[type, Any]) -> list[str]:
    failures = []
    for kind, instance in found.items():
        name = f"{kind.__module__}.{kind.__qualname__}"
        try:
            restored = pickle.loads(pickle.dumps(instance, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as error:
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        if type(restored) is not kind or state(restored) != state(instance):
            failures.append(f"{name}: not equal once unpickled")
    return failures


def sample_lines() -> list[bytes]:
    """RUM lines in the demo's units (known, authorised) and in unknown ones, valid and broken."""
    from app.demo.reference_2022 import UNITS
    from bench.rss_ingest import rss_lines

    lines = [line.encode() for line in rss_lines(1500, seed=11)]
    unit_at = 15 + 71  # the UM: positions 72-75 of a RUM 022, after the 15-character grouped prefix
    for index, unit in enumerate(UNITS):  # the demo's units: known, with authorisations
        line = lines[index]
        lines[index] = line[:unit_at] + unit.code.encode() + line[unit_at + 4 :]
    return [*lines, lines[0][:150], b"x" * 200]


def report(database_url: str) -> dict[str, Any]:
    from app.core import compiled, db
    from app.ingestion import blocks, workers
    from app.rules import service as rules_service

    db.configure(database_url)
    with db.new_session() as session:
        ctx = rules_service.load_context(session, today=date(2025, 1, 1))
    body = b"\n".join(sample_lines()) + b"\n"
    tasks = [(lines, range(1, len(lines) + 1)) for lines in blocks.iter_blocks([body], 50_000)]
    results = [blocks.process_block(lines, 7, ctx, ids) for lines, ids in tasks]
    found = walk(workers.sendable(ctx), tasks, results)
    failures = round_trip_failures(found)
    try:  # the context as the workers get it, checking the same lines
        sent = pickle.loads(workers.payload(ctx).data)
        same = state([blocks.process_block(lines, 7, sent, ids) for lines, ids in tasks]) == state(results)
    except Exception as error:
        failures.append(f"the workers' context: {type(error).__name__}: {error}")
        same = False
    return {
        "types": sorted(f"{kind.__module__}.{kind.__qualname__}" for kind in found),
        "failures": failures,
        "same_blocks_after_pickling": same,
        "findings": sum(len(item.findings) for block in results for item in block.findings.values()),
        "compiled": len(compiled.loaded_compiled()),
        "imported": sum(name in sys.modules for name in compiled.COMPILED_MODULES),
    }


def main(argv: Sequence[str]) -> None:
    args = list(argv)
    if "--interpreted" in args:
        args.remove("--interpreted")
        from app.core import compiled
        from tests.core.native_probe import _SourceFirst

        sources = {name: compiled.source_path(name) for name in compiled.COMPILED_MODULES}
        sys.meta_path.insert(0, _SourceFirst(sources))
    print(json.dumps(report(args[0])))  # noqa: T201 (the answer)


if __name__ == "__main__":
    main(sys.argv[1:])
