"""Battle files: CSV (``model_a,model_b,winner[,tstamp][,anony]``), FastChat ``clean_battle`` JSON
(a list of objects), or JSON Lines (one object a line).

Reading is all or nothing: every bad row is collected and reported in one `BattleFileError`
(row 1 is the first battle: the line after a CSV header, the first object of a JSON list), and
no battle is returned unless all of them are good. Extra CSV columns and extra JSON keys are
ignored, so FastChat files with ``judge``, ``language`` and the like read unchanged.
"""

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from evaluators.ratings_battle import Battle, BattleError, battle_problem, encode_battles

__all__ = ["Battle", "BattleFileError", "read_battles", "write_clean_battles_json"]

REQUIRED_COLUMNS = ("model_a", "model_b", "winner")
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}
CONVERSATION_KEYS = ("conversation_a", "conversation_b")


class BattleFileError(BattleError):
    """A battle file that cannot be read; ``problems`` are (row, message), row 0 = whole file."""


def read_battles(path: str | os.PathLike[str]) -> list[Battle]:
    """Every battle of a CSV, JSON or JSON Lines file, in file order."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        raise BattleFileError([(0, "the file is empty; expected battles")], source=str(path))
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
    rows = [row if isinstance(row, Battle) else Battle(*row) for row in battles]
    encode_battles(rows)  # raises BattleError naming the bad rows before anything is written
    items = [_clean_battle_item(row) for row in rows]
    if not isinstance(path_or_file, str | os.PathLike):
        json.dump(items, path_or_file)
        return
    target = Path(path_or_file)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False, encoding="utf-8") as out:
        json.dump(items, out)
    os.replace(out.name, target)


def _format_of(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".json", ".jsonl"):
        return suffix[1:]
    first = text.lstrip()[:1]
    return {"[": "json", "{": "jsonl"}.get(first, "csv")


def _parse(text: str, kind: str) -> tuple[list[Battle], list[tuple[int, str]]]:
    if kind == "csv":
        return _collect(_csv_rows(text))
    if kind == "jsonl":
        return _collect(_jsonl_rows(text))
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [(0, f"not valid JSON ({error}); expected a list of battle objects")]
    if not isinstance(items, list):
        return [], [(0, f"expected a JSON list of battle objects, got a {type(items).__name__}")]
    return _collect((n, _battle_from_object(item)) for n, item in enumerate(items, start=1))


def _collect(parsed: Iterable[tuple[int, Battle | str]]) -> tuple[list[Battle], list[tuple[int, str]]]:
    battles, problems = [], []
    for number, result in parsed:
        if isinstance(result, str):
            problems.append((number, result))
        else:
            battles.append(result)
    return battles, problems


def _csv_rows(text: str) -> Iterator[tuple[int, Battle | str]]:
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader)]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        yield 0, f"the CSV header lacks {', '.join(missing)}; it must name model_a, model_b, winner"
        return
    where = {name: header.index(name) for name in (*REQUIRED_COLUMNS, "tstamp", "anony") if name in header}
    for number, row in enumerate((row for row in reader if any(cell.strip() for cell in row)), start=1):
        if len(row) != len(header):
            yield number, f"expected {len(header)} fields like the header, got {len(row)}"
            continue
        fields = {name: row[i].strip() for name, i in where.items()}
        yield number, _battle_from_fields(fields, fields.get("tstamp") or None, _csv_bool(fields.get("anony", "")))


def _jsonl_rows(text: str) -> Iterator[tuple[int, Battle | str]]:
    lines = (line for line in text.splitlines() if line.strip())
    for number, line in enumerate(lines, start=1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"not valid JSON ({error})"
            continue
        yield number, _battle_from_object(item)


def _battle_from_object(item: object) -> Battle | str:
    if not isinstance(item, dict):
        return f"expected a JSON object with model_a, model_b, winner, got {type(item).__name__}"
    anony = item.get("anony")
    if anony is not None and not isinstance(anony, bool):
        return f"anony must be true, false or null, got {anony!r}"
    metadata = item.get("conv_metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return f"conv_metadata must be an object, got {type(metadata).__name__}"
    conversation = {key: item[key] for key in CONVERSATION_KEYS if item.get(key) is not None}
    if not all(isinstance(turns, list) for turns in conversation.values()):
        return "conversation_a and conversation_b must be lists of messages"
    battle = _battle_from_fields(item, item.get("tstamp"), anony)
    if isinstance(battle, str):
        return battle
    return battle._replace(conversation=conversation or None, conv_metadata=metadata)


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
    except ValueError:
        return f"tstamp must be a number of seconds, got {value!r}"
    return stamp if math.isfinite(stamp) else f"tstamp must be finite, got {value!r}"


def _csv_bool(text: str) -> bool | str | None:
    word = text.lower()
    if not word:
        return None
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
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
