"""Reading YAML and JSON safely into plain values, with the line of every key."""

from __future__ import annotations

import pytest

from xene.errors import InvalidDefinition
from xene.spec import source, yaml_reader


def _problems(text: str, filename: str = "f.yaml") -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        source.parse(text, filename)
    return [str(problem) for problem in caught.value.problems]


def test_yaml_becomes_plain_values() -> None:
    doc = source.parse("a: 1\nb: [x, 2.5, true, null]\n", "f.yaml")
    assert doc.data == {"a": 1, "b": ["x", 2.5, True, None]}


def test_every_key_path_has_its_line() -> None:
    doc = source.parse("a:\n  b:\n    - x\n    - c: 1\n", "f.yaml")
    assert dict(doc.lines) == {"": 1, "a": 1, "a.b": 2, "a.b[0]": 3, "a.b[1]": 4, "a.b[1].c": 4}


def test_loc_of_a_missing_key_uses_its_nearest_ancestor_line() -> None:
    doc = source.parse("a:\n  b: 1\n", "f.yaml")
    assert str(doc.loc("a.b.c.d")) == "f.yaml:2: a.b.c.d"


def test_dates_stay_text() -> None:
    assert source.parse("when: 2024-01-01\n", "f.yaml").data == {"when": "2024-01-01"}


def test_keys_stay_text_as_written() -> None:
    assert source.parse("on: 1\n007: 2\n", "f.yaml").data == {"on": 1, "007": 2}


def test_python_object_tag_is_refused_with_its_line() -> None:
    doc = source.parse("a: 1\nb: !!python/object/apply:os.system ['echo pwned']\n", "f.yaml")
    assert [str(p) for p in doc.problems] == [
        "f.yaml:2: b: the YAML tag !!python/object/apply:os.system is not allowed: definitions "
        "hold only plain values (mappings, lists, text, numbers, booleans, null); remove the tag"
    ]


def test_a_refused_tag_is_never_constructed() -> None:
    doc = source.parse("b: !!python/object/new:builtins.dict {x: 1}\n", "f.yaml")
    assert doc.data == {"b": None}


def test_unknown_local_tag_is_refused() -> None:
    doc = source.parse("a: !secret token\n", "f.yaml")
    assert [p.message.split(":")[0] for p in doc.problems] == [
        "the YAML tag !secret is not allowed"
    ]


def test_duplicate_key_is_reported_with_both_lines() -> None:
    doc = source.parse("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert [str(p) for p in doc.problems] == [
        'f.yaml:3: a: duplicate key "a" (first on line 1); each key may appear once here: '
        "rename or remove one"
    ]


def test_merge_keys_are_expanded_and_not_duplicates() -> None:
    doc = source.parse("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert (doc.data["c"], doc.problems) == ({"x": 1, "y": 3}, ())


def test_malformed_yaml_reports_the_line() -> None:
    assert _problems("a: 1\nb: [\n") == [
        "f.yaml:3: invalid YAML: did not find expected node content (while parsing a flow node) "
        "at column 1"
    ]


def test_malformed_json_reports_jsons_line_and_column() -> None:
    assert _problems('{\n  "a" 1\n}\n', "f.json") == [
        "f.json:2: invalid JSON: Expecting ':' delimiter (line 2, column 7)"
    ]


def test_json_keys_have_lines_too() -> None:
    doc = source.parse('{\n  "a": {\n    "b": [1, 2e5]\n  }\n}\n', "f.json")
    assert (doc.data, doc.lines["a.b"]) == ({"a": {"b": [1, 200000.0]}}, 3)


JSON_SHAPES = (
    '\n\n  {"a": {"b": [1, {"c": null}],\r\n "d.e": "x"},\n  "\\u00e9[0]": [[],\n {}],'
    ' "f": [\n  true, "g\\"h"\n]}\n'
)


def test_json_keys_get_the_lines_the_yaml_reader_gives_them() -> None:
    json_lines = source.parse(JSON_SHAPES, "f.json").lines
    assert json_lines == yaml_reader.parse(JSON_SHAPES, "f.yaml").lines


def test_json_with_an_escaped_emoji_keeps_its_lines() -> None:
    """The YAML reader refuses JSON's surrogate pairs; the lines do not depend on it."""
    doc = source.parse('{\n  "a": "\\ud83d\\ude00",\n  "b": 1\n}', "f.json")
    assert (doc.data["a"], doc.lines["b"]) == ("\U0001f600", 3)


def test_json_lines_count_a_lone_carriage_return_as_yaml_does() -> None:
    assert source.parse('{"a": 1,\r"b": 2}', "f.json").lines["b"] == 2


def test_json_nested_deeper_than_100_is_refused_with_its_line() -> None:
    assert _problems("[" * 101 + "]" * 101, "f.json") == [
        "f.json:1: values are nested more than 100 levels deep; flatten them"
    ]


def test_duplicate_json_key_is_reported() -> None:
    doc = source.parse('{"a": 1,\n "a": 2}', "f.json")
    assert [p.loc.line for p in doc.problems] == [2]


def test_nesting_deeper_than_100_is_refused() -> None:
    assert _problems("[" * 101 + "]" * 101) == [
        "f.yaml:1: values are nested more than 100 levels deep; flatten them"
    ]


def test_nesting_of_100_is_accepted() -> None:
    assert source.depth(source.parse("[" * 100 + "]" * 100, "f.yaml").data) == 100


def test_very_deep_yaml_is_refused_without_crashing() -> None:
    assert len(_problems("[" * 100_000 + "]" * 100_000)) == 1


def test_very_deep_json_is_refused_without_crashing() -> None:
    assert _problems("[" * 100_000 + "]" * 100_000, "f.json") == [
        "f.json: the JSON is nested more than 100 levels deep; flatten it"
    ]


def test_alias_bomb_is_refused() -> None:
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (problem,) = _problems("\n".join(lines))
    assert "more than 1,000,000 values once aliases (*name) are expanded" in problem


def test_alias_to_an_unknown_anchor_is_refused() -> None:
    assert _problems("a: *nowhere\n") == [
        "f.yaml:1: a: alias *nowhere has no anchor before it; define &nowhere earlier, "
        "outside this value"
    ]


def test_two_documents_in_one_file_are_refused() -> None:
    assert _problems("a: 1\n---\nb: 2\n") == [
        "f.yaml:2: the file holds more than one YAML document (---); keep one"
    ]


def test_text_over_10_mb_is_refused() -> None:
    assert _problems("#" * (source.MAX_BYTES + 1)) == [
        "f.yaml: the text is larger than 10 MB; definitions are limited to 10 MB"
    ]


def test_file_over_10_mb_is_refused_before_reading(tmp_path: pytest.TempPathFactory) -> None:
    big = tmp_path / "big.yaml"  # type: ignore[operator]
    big.write_bytes(b"#" * (source.MAX_BYTES + 1))
    with pytest.raises(InvalidDefinition, match="definitions are limited to 10 MB"):
        source.read(big)


def test_missing_file_is_a_problem_not_a_crash() -> None:
    with pytest.raises(InvalidDefinition, match="cannot read the file: No such file"):
        source.read("/nonexistent/wf.yaml")


def test_non_utf8_file_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    bad = tmp_path / "bad.yaml"  # type: ignore[operator]
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(InvalidDefinition, match="not UTF-8"):
        source.read(bad)


def test_tab_indentation_gets_a_hint() -> None:
    assert _problems("a:\n\t- b\n") == [
        "f.yaml:2: invalid YAML: found character that cannot start any token (while scanning "
        "for the next token) at column 1; YAML indents with spaces, not tabs"
    ]


def test_control_character_is_reported_at_its_line() -> None:
    assert _problems("a: 1\nb: \x00\n") == [
        "f.yaml:2: invalid YAML: character #x0000 is not allowed (control characters cannot "
        "appear in a definition)"
    ]


def test_empty_document_is_none() -> None:
    assert source.parse("# only a comment\n", "f.yaml").data is None


def test_python_object_tag_on_a_mapping_is_refused() -> None:
    doc = source.parse("a: !!python/object:collections.OrderedDict {x: 1}\n", "f.yaml")
    assert (doc.data, len(doc.problems)) == ({"a": None}, 1)
