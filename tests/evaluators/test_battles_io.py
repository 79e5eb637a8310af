"""Battle files: CSV, FastChat clean_battle JSON, JSON Lines; bad input named by row, all or nothing."""

import io
import json
from pathlib import Path

import pytest

from evaluators.battles_io import Battle, BattleFileError, read_battles, write_clean_battles_json
from evaluators.ratings_battle import BattleError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_optional_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "votes.csv",
        "model_a,model_b,winner,tstamp,anony,judge\n"
        "alpha,beta,model_a,1700000000.5,true,x\n"
        " beta , gamma ,tie (bothbad),,0,y\n"
        "\n"
        '"alpha, v2",gamma,tie,17,,z\n',
    )
    assert read_battles(path) == [
        Battle("alpha", "beta", "model_a", 1700000000.5, True),
        Battle("beta", "gamma", "tie (bothbad)", None, False),
        Battle("alpha, v2", "gamma", "tie", 17.0, None),
    ]


def test_csv_with_only_the_required_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "votes.csv", "winner,model_b,model_a\nmodel_b,y,x\n")
    assert read_battles(path) == [Battle("x", "y", "model_b")]


def test_fastchat_clean_battle_json(tmp_path: Path) -> None:
    conversation_a = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    items = [
        {"question_id": "q1", "model_a": "a", "model_b": "b", "winner": "model_b", "judge": "arena_user_1",
         "conversation_a": conversation_a, "conversation_b": conversation_a, "turn": 1, "anony": True,
         "language": "English", "tstamp": 1690000000},
        {"model_a": "b", "model_b": "c", "winner": "tie", "tstamp": 1690000001.5, "anony": False,
         "conv_metadata": {"sum_assistant_a_tokens": 3}},
    ]  # fmt: skip
    battles = read_battles(write(tmp_path, "clean_battle_20240101.json", json.dumps(items)))
    assert battles[0][:5] == ("a", "b", "model_b", 1690000000.0, True)
    assert battles[0].conversation == {"conversation_a": conversation_a, "conversation_b": conversation_a}
    assert battles[1].conversation is None and battles[1].conv_metadata == {"sum_assistant_a_tokens": 3}


def test_json_lines(tmp_path: Path) -> None:
    lines = (
        '{"model_a": "a", "model_b": "b", "winner": "tie"}\n\n{"model_a": "b", "model_b": "a", "winner": "model_a"}\n'
    )
    assert [b.winner for b in read_battles(write(tmp_path, "votes.jsonl", lines))] == ["tie", "model_a"]


def test_the_format_is_sniffed_without_a_known_suffix(tmp_path: Path) -> None:
    as_json = write(tmp_path, "votes.txt", '[{"model_a": "a", "model_b": "b", "winner": "tie"}]')
    as_csv = write(tmp_path, "votes.dat", "model_a,model_b,winner\na,b,tie\n")
    assert read_battles(as_json) == read_battles(as_csv) == [Battle("a", "b", "tie")]


def test_csv_problems_are_all_listed_by_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "model_a,model_b,winner,tstamp,anony\n"
        "a,b,model_a,1,true\n"
        "a,b,A wins,2,true\n"
        "a,a,tie,3,true\n"
        "a,b,tie\n"
        "a,b,tie,yesterday,true\n"
        "a,b,tie,5,maybe\n"
        ",b,tie,6,true\n"
        "a,b,model_b,nan,\n",
    )
    with pytest.raises(BattleFileError) as caught:
        read_battles(path)
    error = caught.value
    assert isinstance(error, BattleError)
    assert error.rows == [2, 3, 4, 5, 6, 7, 8]
    message = str(error)
    assert str(path) in message and "nothing was read" in message
    assert "row 2: unknown winner 'A wins'" in message
    assert "row 3: model 'a' battles itself" in message
    assert "row 4: expected 5 fields" in message
    assert "row 5: tstamp must be a number" in message
    assert "row 6: anony must be" in message
    assert "row 8: tstamp must be finite" in message


def test_json_problems_are_all_listed_by_row(tmp_path: Path) -> None:
    items = [
        {"model_a": "a", "model_b": "b", "winner": "model_a"},
        ["a", "b", "model_a"],
        {"model_a": "a", "model_b": "b"},
        {"model_a": "a", "model_b": "b", "winner": "tie", "anony": "yes"},
        {"model_a": "a", "model_b": "b", "winner": "tie", "tstamp": True},
        {"model_a": 3, "model_b": "b", "winner": "tie"},
    ]
    with pytest.raises(BattleFileError) as caught:
        read_battles(write(tmp_path, "bad.json", json.dumps(items)))
    assert caught.value.rows == [2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("empty.csv", "", "empty"),
        ("blank.json", "  \n", "empty"),
        ("header.csv", "model_a,model_b,winner\n", "no battles"),
        ("list.json", "[]", "no battles"),
        ("columns.csv", "a,b,c\nx,y,z\n", "lacks model_a, model_b, winner"),
        ("broken.json", '[{"model_a": ', "not valid JSON"),
        ("object.json", '{"battles": []}', "expected a JSON list"),
    ],
)
def test_files_that_hold_no_battles(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(BattleFileError, match=expected) as caught:
        read_battles(write(tmp_path, name, text))
    assert caught.value.rows == []


def test_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    text = '{"model_a": "a", "model_b": "b", "winner": "tie"}\n{"model_a": \n'
    with pytest.raises(BattleFileError) as caught:
        read_battles(write(tmp_path, "votes.jsonl", text))
    assert caught.value.rows == [2]


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_battles(tmp_path / "nowhere.csv")


def test_written_json_reads_back_the_same(tmp_path: Path) -> None:
    conversation = {"conversation_a": [{"role": "assistant", "content": "x"}], "conversation_b": []}
    battles = [
        Battle("a", "b", "model_a", 1.5, True, conversation, {"sum_assistant_a_tokens": 1}),
        Battle("b", "c", "tie (bothbad)"),
    ]
    path = tmp_path / "out.json"
    write_clean_battles_json([*battles, ("c", "a", "model_b")], path)
    assert read_battles(path) == [*battles, Battle("c", "a", "model_b")]
    stream = io.StringIO()
    write_clean_battles_json(battles, stream)
    assert json.loads(stream.getvalue())[1] == {
        "model_a": "b", "model_b": "c", "winner": "tie (bothbad)", "tstamp": None, "anony": None
    }  # fmt: skip


def test_bad_battles_are_not_written(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text("previous", encoding="utf-8")
    with pytest.raises(BattleError) as caught:
        write_clean_battles_json([("a", "b", "tie"), ("a", "b", "draw")], path)
    assert caught.value.rows == [2]
    assert path.read_text(encoding="utf-8") == "previous"
    assert list(tmp_path.iterdir()) == [path]


def test_the_columnar_fast_path_reads_what_the_row_by_row_path_reads(tmp_path: Path) -> None:
    from evaluators import battles_io

    text = "model_a, model_b ,winner,anony,tstamp\n x ,y,tie,TRUE,1e9\ny,z ,model_b,,\n\n z,x,model_a,no, 7 \n"
    header, rows = battles_io._csv_table(text)
    fast = battles_io._csv_fast(header, rows)
    assert fast is not None and fast == battles_io._collect(battles_io._csv_rows(header, rows))[0]
    items = [
        {"model_a": "x", "model_b": "y", "winner": "tie", "tstamp": 3, "conversation_b": [], "conv_metadata": {}},
        {"model_a": " y", "model_b": "x", "winner": "model_a", "anony": False, "conversation_a": None},
    ]
    fast = battles_io._json_fast(items)
    slow = [battles_io._battle_from_object(item) for item in items]
    assert fast is not None and fast == slow
    assert [type(b.tstamp) for b in fast] == [float, type(None)]


def test_values_the_fast_path_declines_still_read(tmp_path: Path) -> None:
    items = [{"model_a": "x", "model_b": "y", "winner": "tie", "tstamp": "12.5"}]
    assert read_battles(write(tmp_path, "votes.json", json.dumps(items))) == [Battle("x", "y", "tie", 12.5)]
    path = write(tmp_path, "votes.csv", "model_a,model_b,winner,tstamp\nx,y,tie,   \n")
    assert read_battles(path) == [Battle("x", "y", "tie")]


def test_text_that_is_not_utf8_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("model_a,model_b,winner\ncaf\u00e9,b,tie\n".encode("latin-1"))
    with pytest.raises(BattleFileError, match="not UTF-8"):
        read_battles(path)


def test_unserializable_battles_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    with pytest.raises(TypeError):
        write_clean_battles_json([Battle("a", "b", "tie", conv_metadata={"when": object()})], path)
    assert list(tmp_path.iterdir()) == []
