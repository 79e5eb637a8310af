"""Battle files: CSV (``model_a,model_b,winner[,tstamp][,anony]``), FastChat ``clean_battle`` JSON
(a list of objects), or JSON Lines (one object a line).

Reading is all or nothing: every bad row is collected and reported in one `BattleFileError`
(row 1 is the first battle: the line after a CSV header, the first object of a JSON list), and
no battle is returned unless all of them are good. Extra CSV columns and extra JSON keys are
ignored, so FastChat files with ``judge``, ``language`` and the like read unchanged.
"""

import csv
import gc
import io
import json
import math
import operator
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from evaluators.ratings_battle import WINNER_CODES, Battle, BattleError, battle_problem, encode_battles

__all__ = ["Battle", "BattleFileError", "read_battles", "write_clean_battles_json"]

REQUIRED_COLUMNS = ("model_a", "model_b", "winner")
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}
CSV_BOOLS = {"": None, **dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
_INVALID = object()
CONVERSATION_KEYS = ("conversation_a", "conversation_b")


class BattleFileError(BattleError):
    """A battle file that cannot be read; ``problems`` are (row, message), row 0 = whole file."""


def read_battles(path: str | os.PathLike[str]) -> list[Battle]:
    """Every battle of a CSV, JSON or JSON Lines file, in file order."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte {error.start}); save the file as UTF-8"
        raise BattleFileError([(0, message)], source=str(path)) from None
    if not text.strip():
        raise BattleFileError([(0, "the file is empty; expected battles")], source=str(path))
    with _collector_paused():
        battles, problems = _parse(text, _format_of(path, text))
    if not problems and not battles:
        problems = [(0, "the file holds no battles")]
    if problems:
        raise BattleFileError(problems, source=str(path))
    return battles


def write_clean_battles_json(battles: Iterable[Sequence[Any]], path_or_file: str | os.PathLike[str] | IO[str]) -> None:
    """Write battles as a FastChat ``clean_battle`` JSON list; nothing is written if one is bad.

    A path is replaced atomically (written beside it, then renamed).
    """
    rows = list(battles)
    encode_battles(rows)  # raises BattleError naming the bad rows before anything is written
    battles = [row if isinstance(row, Battle) else Battle(*row[:7]) for row in rows]
    payload = json.dumps([_clean_battle_item(battle) for battle in battles])
    if not isinstance(path_or_file, str | os.PathLike):
        path_or_file.write(payload)
        return
    target = Path(path_or_file)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False, encoding="utf-8") as out:
        out.write(payload)
    os.replace(out.name, target)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing. Making a million small tuples and dicts
    sets it off thousands of times, each pass walking what was made so far (over half the time
    of a large read); nothing made here forms cycles, so nothing is left for it meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _format_of(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".json", ".jsonl"):
        return suffix[1:]
    first = text.lstrip()[:1]
    return {"[": "json", "{": "jsonl"}.get(first, "csv")


def _parse(text: str, kind: str) -> tuple[list[Battle], list[tuple[int, str]]]:
    """Battles and problems; the columnar fast path first, row by row when it has doubts."""
    if kind == "csv":
        header, rows = _csv_table(text)
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            return [], [(0, f"the CSV header lacks {', '.join(missing)}; it must name model_a, model_b, winner")]
        fast = _csv_fast(header, rows)
        return (fast, []) if fast is not None else _collect(_csv_rows(header, rows))
    items, problems = _json_items(text) if kind == "json" else (_jsonl_items(text), [])
    if problems:
        return [], problems
    fast = _json_fast(items)
    if fast is not None:
        return fast, []
    return _collect((n, _battle_from_object(item)) for n, item in enumerate(items, start=1))


def _json_items(text: str) -> tuple[list[Any], list[tuple[int, str]]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [(0, f"not valid JSON ({error}); expected a list of battle objects")]
    if not isinstance(items, list):
        return [], [(0, f"expected a JSON list of battle objects, got a {type(items).__name__}")]
    return items, []


class _BrokenLine(str):
    """What is wrong with a JSON Lines line that does not parse, kept in its place."""


def _jsonl_items(text: str) -> list[Any]:
    items: list[Any] = []
    for line in (line for line in text.splitlines() if line.strip()):
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as error:
            items.append(_BrokenLine(f"not valid JSON ({error})"))
    return items


def _csv_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header (stripped) and the non-blank rows."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader)]
    return header, [row for row in reader if len(row) > 1 or (row and row[0].strip())]


def _collect(parsed: Iterable[tuple[int, Battle | str]]) -> tuple[list[Battle], list[tuple[int, str]]]:
    battles, problems = [], []
    for number, result in parsed:
        if isinstance(result, str):
            problems.append((number, result))
        else:
            battles.append(result)
    return battles, problems


def _csv_rows(header: list[str], rows: list[list[str]]) -> Iterator[tuple[int, Battle | str]]:
    where = {name: header.index(name) for name in (*REQUIRED_COLUMNS, "tstamp", "anony") if name in header}
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            yield number, f"expected {len(header)} fields like the header, got {len(row)}"
            continue
        fields = {name: row[i].strip() for name, i in where.items()}
        yield number, _battle_from_fields(fields, fields.get("tstamp") or None, _csv_bool(fields.get("anony", "")))


def _battle_from_object(item: object) -> Battle | str:
    if isinstance(item, _BrokenLine):
        return str(item)
    if not isinstance(item, dict):
        return f"expected a JSON object with model_a, model_b, winner, got {type(item).__name__}"
    anony = item.get("anony")
    if anony is not None and not isinstance(anony, bool):
        return f"anony must be true, false or null, got {anony!r}"
    metadata = item.get("conv_metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return f"conv_metadata must be an object, got {type(metadata).__name__}"
    conversation = _conversation(item)
    if conversation and not all(isinstance(turns, list) for turns in conversation.values()):
        return "conversation_a and conversation_b must be lists of messages"
    battle = _battle_from_fields(item, item.get("tstamp"), anony)
    if isinstance(battle, str):
        return battle
    return battle._replace(conversation=conversation, conv_metadata=metadata)


def _csv_fast(header: list[str], rows: list[list[str]]) -> list[Battle] | None:
    """All battles of a clean CSV table, column by column; None at the first doubt."""
    if set(map(len, rows)) - {len(header)}:
        return None

    def column(name: str, clean: Callable[[str], Any] | None = None) -> list[Any]:
        """The column's cells, cleaned once per distinct value (names and labels repeat a lot)."""
        raw = list(map(itemgetter(header.index(name)), rows)) if name in header else [""] * len(rows)
        return raw if clean is None else list(map({cell: clean(cell) for cell in set(raw)}.__getitem__, raw))

    try:
        stamps = [float(text) if text else None for text in column("tstamp")]
    except (ValueError, OverflowError):
        return None
    anony = column("anony", lambda text: CSV_BOOLS.get(text.strip().lower(), _INVALID))
    if _INVALID in anony or not all(math.isfinite(s) for s in stamps if s is not None):
        return None
    model_a, model_b, winner = (column(name, str.strip) for name in REQUIRED_COLUMNS)
    return _fast_battles(model_a, model_b, winner, stamps, anony)


def _json_fast(items: list[Any]) -> list[Battle] | None:
    """All battles of clean JSON objects, key by key; None at the first doubt."""
    try:
        model_a, model_b, winner = ([item[key] for item in items] for key in REQUIRED_COLUMNS)
    except (KeyError, TypeError, IndexError):
        return None
    stamps = [item.get("tstamp") for item in items]
    anony = [item.get("anony") for item in items]
    metadata = [item.get("conv_metadata") for item in items]
    conversations = [_conversation(item) for item in items]
    if not (
        all((type(s) is float and math.isfinite(s)) or type(s) is int for s in stamps if s is not None)
        and all(a is None or type(a) is bool for a in anony)
        and all(m is None or type(m) is dict for m in metadata)
        and all(c is None or all(type(t) is list for t in c.values()) for c in conversations)
    ):
        return None
    stamps = [None if s is None else float(s) for s in stamps]
    return _fast_battles(model_a, model_b, winner, stamps, anony, conversations, metadata)


def _fast_battles(model_a: list[Any], model_b: list[Any], winner: list[Any], *rest: list[Any]) -> list[Battle] | None:
    try:
        names = set(model_a).union(model_b)
        if not set(winner) <= WINNER_CODES.keys():
            return None
    except TypeError:  # unhashable values: let the row-by-row path say where
        return None
    if not all(type(name) is str and name.strip() for name in names) or any(map(operator.eq, model_a, model_b)):
        return None
    missing = [None] * len(model_a)
    columns = (model_a, model_b, winner, *rest, *[missing] * (4 - len(rest)))
    # tuple.__new__ skips the namedtuple's Python-level __new__: half the time for a million rows.
    return list(map(tuple.__new__, repeat(Battle), zip(*columns, strict=True)))


def _conversation(item: dict[str, Any]) -> dict[str, Any] | None:
    return {key: item[key] for key in CONVERSATION_KEYS if item.get(key) is not None} or None


def _battle_from_fields(fields: dict[str, Any], tstamp: object, anony: bool | str | None) -> Battle | str:
    model_a, model_b, winner = (fields.get(name) for name in REQUIRED_COLUMNS)
    problem = battle_problem(model_a, model_b, winner)
    if problem:
        return problem
    if isinstance(anony, str):
        return anony
    stamp = _time_stamp(tstamp)
    if isinstance(stamp, str):
        return stamp
    return Battle(model_a, model_b, winner, stamp, anony)


def _time_stamp(value: object) -> float | str | None:
    """A finite number of seconds, None when absent, or what is wrong with it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return f"tstamp must be a number of seconds, got {value!r}"
    try:
        stamp = float(value)
    except (ValueError, OverflowError):
        return f"tstamp must be a number of seconds, got {value!r}"
    return stamp if math.isfinite(stamp) else f"tstamp must be finite, got {value!r}"


def _csv_bool(text: str) -> bool | str | None:
    value = CSV_BOOLS.get(text.lower(), _INVALID)
    if value is not _INVALID:
        return value
    return f"anony must be one of true/false/1/0/yes/no or empty, got {text!r}"


def _clean_battle_item(battle: Battle) -> dict[str, Any]:
    item: dict[str, Any] = {
        "model_a": battle.model_a,
        "model_b": battle.model_b,
        "winner": battle.winner,
        "tstamp": battle.tstamp,
        "anony": battle.anony,
    }
    for key in CONVERSATION_KEYS:
        if battle.conversation and battle.conversation.get(key) is not None:
            item[key] = battle.conversation[key]
    if battle.conv_metadata is not None:
        item["conv_metadata"] = battle.conv_metadata
    return item
