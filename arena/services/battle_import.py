"""Battle files into the arena: `ImportedBattle` rows plus their `PairCount(source="imported")`.

An import applies fully or not at all: the file is checked whole before anything is written, and
the rows and the counts are written in one transaction. Importing the same file twice adds nothing:
each battle's key hashes its fields and its occurrence number among identical battles in the file
(the third identical ``a,b,model_a`` row of a file is always the same battle).
"""

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from arena.models import ImportedBattle, PairCount
from evaluators.battles_io import Battle, BattleFileError, read_battles

SOURCE = PairCount.Source.IMPORTED
CREATE_BATCH = 5000  # rows per INSERT executemany / PairCount bulk_create
KEY_CHUNK = 900  # keys per existence query: under SQLite's historic 999-parameter limit
NAME_MAX = ImportedBattle._meta.get_field("model_a").max_length

PairCell = tuple[date, str, str, str]  # (day, model_a, model_b, outcome)


class BattleImportError(Exception):
    """An import that wrote nothing; the message says what to do."""


@dataclass(frozen=True)
class ImportResult:
    read: int
    added: int

    @property
    def already_present(self) -> int:
        return self.read - self.added


def import_file(path: str | os.PathLike[str]) -> ImportResult:
    """Import a CSV, clean_battle JSON or JSON Lines file; `BattleFileError` names every bad row."""
    battles = read_battles(path)
    return import_battles(battles, source_file=os.path.basename(path))


def import_battles(battles: Sequence[Battle], source_file: str = "") -> ImportResult:
    """Store the battles not imported before and add them to the imported counts, in one transaction."""
    problems = storage_problems(battles)
    if problems:
        raise BattleFileError(problems, source=source_file or "battles")
    keyed = list(zip(battle_keys(battles), battles, strict=True))
    today = timezone.now().date()
    try:
        with transaction.atomic():
            present = existing_keys(key for key, _ in keyed)
            new = [(key, battle) for key, battle in keyed if key not in present]
            store_battles(new, source_file)
            add_counts(count_cells((battle for _, battle in new), today))
    except IntegrityError as error:
        raise BattleImportError(
            f"Another import stored some of these battles at the same time ({error}); nothing was imported, "
            "run the import again."
        ) from error
    return ImportResult(read=len(battles), added=len(new))


def storage_problems(battles: Sequence[Battle]) -> list[tuple[int, str]]:
    """What the database cannot hold (the file reader already checked labels and names)."""
    return [
        (number, f"model names are at most {NAME_MAX} characters; shorten {name[:40]!r}...")
        for number, battle in enumerate(battles, start=1)
        for name in (battle.model_a, battle.model_b)
        if len(name) > NAME_MAX
    ]


def battle_keys(battles: Iterable[Battle]) -> list[str]:
    """sha256 of (model_a, model_b, winner, tstamp, anony, occurrence number of these fields in the file)."""
    seen: dict[tuple, int] = {}
    keys = []
    for battle in battles:
        fields = battle[:5]
        seen[fields] = occurrence = seen.get(fields, 0) + 1
        keys.append(hashlib.sha256(repr((*fields, occurrence)).encode()).hexdigest())
    return keys


def existing_keys(keys: Iterable[str]) -> set[str]:
    """The keys already stored, asked for in chunks (sorted, so each chunk reads neighbouring index pages)."""
    present: set[str] = set()
    for chunk in _chunks(sorted(keys), KEY_CHUNK):
        present.update(ImportedBattle.objects.filter(key__in=chunk).values_list("key", flat=True))
    return present


def store_battles(keyed: Sequence[tuple[str, Battle]], source_file: str) -> None:
    """Insert in batches of plain tuples through the cursor.

    bulk_create builds a model instance per battle and prepares each of its values in Python: measured on
    100,000 battles into SQLite it took about four times as long as this, the largest part of an import.
    """
    conversation, statement = ImportedBattle._meta.get_field("conversation"), _insert_statement()
    with connection.cursor() as cursor:
        for chunk in _chunks(keyed, CREATE_BATCH):
            rows = [
                (key, b.model_a, b.model_b, b.winner, b.tstamp, b.anony, source_file,
                 None if b.conversation is None else conversation.get_db_prep_save(b.conversation, connection))
                for key, b in chunk
            ]
            cursor.executemany(statement, rows)


def _insert_statement() -> str:
    names = ("key", "model_a", "model_b", "winner", "tstamp", "anony", "source_file", "conversation")
    columns = ", ".join(connection.ops.quote_name(ImportedBattle._meta.get_field(n).column) for n in names)
    table = connection.ops.quote_name(ImportedBattle._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"


def battle_day(tstamp: float | None, today: date) -> date:
    """The UTC day of a time stamp (the day votes are counted under); today when there is none."""
    return today if tstamp is None else datetime.fromtimestamp(tstamp, tz=UTC).date()


def count_cells(battles: Iterable[Battle], today: date) -> Counter[PairCell]:
    days: dict[float | None, date] = {}
    cells: Counter[PairCell] = Counter()
    for b in battles:
        day = days.get(b.tstamp) or days.setdefault(b.tstamp, battle_day(b.tstamp, today))
        cells[(day, b.model_a, b.model_b, b.winner)] += 1
    return cells


def add_counts(cells: Counter[PairCell]) -> None:
    """Add to the imported counts: existing rows by an SQL increment, missing ones in bulk."""
    if not cells:
        return
    days = [day for day, *_ in cells]
    stored = PairCount.objects.filter(source=SOURCE, day__gte=min(days), day__lte=max(days))
    existing = {
        (row.day, row.model_a, row.model_b, row.outcome): row.pk
        for row in stored.only("pk", "day", "model_a", "model_b", "outcome")
    }
    for cell, pk in existing.items():
        if cell in cells:
            PairCount.objects.filter(pk=pk).update(count=F("count") + cells[cell])
    PairCount.objects.bulk_create(
        [
            PairCount(source=SOURCE, day=day, model_a=a, model_b=b, outcome=outcome, count=n)
            for (day, a, b, outcome), n in cells.items()
            if (day, a, b, outcome) not in existing
        ],
        batch_size=CREATE_BATCH,
    )


def _chunks(items: Iterable, size: int) -> Iterable[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
