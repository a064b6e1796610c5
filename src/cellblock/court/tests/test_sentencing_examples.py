"""docs/release-dates.md, row by row: every worked example is run through the module.

The page's tables are the examples.  Each table follows a marker
``<!-- examples: KIND -->``; this module parses them and checks every row
against ``court/sentencing.py``, so a change to a rule that the page does not
follow (or a row worked out wrong) fails here, naming the row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from cellblock.court import sentencing
from cellblock.court.sentencing import (
    CreditRule,
    SentenceInput,
    SentencingError,
    Term,
    add_term,
    compute,
    rule_for,
)

DOC = Path(__file__).resolve().parents[4] / "docs" / "release-dates.md"
MARKER = re.compile(r"^<!--\s*examples:\s*(?P<kind>[a-z ]+?)\s*-->\s*$")
# A blank cell, or a dash of any width: the default.
EMPTY = {"", "-", "\u2013", "\u2014"}

# The columns each kind of table may have; anything else is a typo that would be ignored.
RULE_COLUMNS = {"good time", "excluded", "cap", "minimum"}
SENTENCE_COLUMNS = {"start", "imposed", "term", "severity", "eligible", "earned", "forfeited"}
SENTENCE_COLUMNS |= {"served"}
RESULT_COLUMNS = {
    "full term", "term days", "good time days", "earned applied", "forfeited applied",
    "not before", "runs from", "release",
}  # fmt: skip
COLUMNS = {
    "term": {"start", "term", "full term", "why"},
    "sentence": {"example"} | RULE_COLUMNS | SENTENCE_COLUMNS | RESULT_COLUMNS,
    "person": {"example", "sentence", "follows"} | RULE_COLUMNS | SENTENCE_COLUMNS | RESULT_COLUMNS,
    "person outcome": {"example", "person's release", "controlling"},
    "rule versions": {"rule", "applies from"} | RULE_COLUMNS,
    "versioned": {"example", "imposed", "start", "term", "severity", "earned", "versions known"}
    | {"rule", "release"},
}
# Rows the page must keep at least: a table deleted by mistake should not pass quietly.
AT_LEAST = {
    "term": 12, "sentence": 25, "person": 15, "person outcome": 8, "rule versions": 3,
    "versioned": 6,
}  # fmt: skip


@dataclass(frozen=True)
class Row:
    kind: str
    line: int
    cells: dict[str, str]

    @property
    def name(self) -> str:
        label = self.cells.get("example") or self.cells.get("rule") or self.cells.get("start", "")
        if self.kind == "person":
            label = f"{label}/{self.cells['sentence']}"
        elif self.kind == "term":
            label = f"{self.cells['start']}+{self.cells['term'].replace(' ', '')}"
        return f"{self.kind}:{label}"


def _cells(line: str) -> list[str]:
    inner = line.strip().strip("|")
    return [cell.strip().strip("`*").strip() for cell in inner.split("|")]


def parse(text: str) -> list[Row]:
    """Every row of every marked table, with its kind and line number."""
    rows: list[Row] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index].strip())
        index += 1
        if marker is None:
            continue
        kind = marker["kind"]
        while index < len(lines) and not lines[index].startswith("|"):
            index += 1
        header = _cells(lines[index])
        unknown = set(header) - COLUMNS[kind]
        assert not unknown, f"line {index + 1}: unknown columns {unknown} in a {kind} table"
        index += 2  # the header and the |---| line
        while index < len(lines) and lines[index].startswith("|"):
            values = _cells(lines[index])
            assert len(values) == len(header), f"line {index + 1}: {len(values)} cells"
            rows.append(Row(kind, index + 1, dict(zip(header, values, strict=True))))
            index += 1
    return rows


ROWS = parse(DOC.read_text(encoding="utf-8"))


def rows_of(kind: str) -> list[Row]:
    return [row for row in ROWS if row.kind == kind]


def params(kind: str) -> list[object]:
    return [pytest.param(row, id=row.name) for row in rows_of(kind)]


# --- Reading cells ----------------------------------------------------------------------------


def value(row: Row, column: str) -> str | None:
    cell = row.cells.get(column, "")
    return None if cell in EMPTY else cell


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def term(text: str) -> Term:
    parts = dict.fromkeys(("year", "month", "day"), 0)
    matched = re.findall(r"(\d+)\s+(year|month|day)s?", text)
    # Every word of the cell is read: "1 year 2 monthz" is refused, not taken as a year.
    assert matched, f"not a term: {text!r}"
    spelled = " ".join(f"{n} {u}" for n, u in matched)
    assert spelled == re.sub(r"(year|month|day)s", r"\1", text), f"not a term: {text!r}"
    for number, unit in matched:
        parts[unit] = int(number)
    return Term(years=parts["year"], months=parts["month"], days=parts["day"])


def number(row: Row, column: str) -> int:
    cell = value(row, column)
    return int(cell) if cell is not None else 0


def yes(row: Row, column: str) -> bool:
    cell = value(row, column)
    assert cell in (None, "yes", "no"), f"{column} is yes or no, not {cell!r}"
    return cell != "no"


def rule_of(row: Row, *, label: str = "STATE v1", applies_from: str = "2000-01-01") -> CreditRule:
    jurisdiction, _, version = label.rpartition(" v")
    excluded = value(row, "excluded")
    minimum = value(row, "minimum")
    return CreditRule(
        jurisdiction=jurisdiction, version=int(version), applies_from=day(applies_from),
        good_time=Fraction(value(row, "good time") or "0"),
        excluded_severities=frozenset(s.strip() for s in excluded.split(",")) if excluded else
        frozenset(),
        earned_days_per_month_cap=number(row, "cap"),
        minimum_served_percent=int(minimum.rstrip("%")) if minimum else 0,
    )  # fmt: skip


def sentence_of(row: Row, key: str = "S") -> SentenceInput:
    start = day(row.cells["start"])
    imposed = value(row, "imposed")
    return SentenceInput(
        key=key, imposed_on=day(imposed) if imposed else start, starts_on=start,
        term=term(row.cells["term"]), severity=value(row, "severity") or "",
        consecutive_to=value(row, "follows"), time_served_days=number(row, "served"),
        earned_days=number(row, "earned"), forfeited_days=number(row, "forfeited"),
        good_time_eligible=yes(row, "eligible"),
    )  # fmt: skip


def check_result(row: Row, result: sentencing.SentenceResult) -> None:
    """Every result column the row fills in, against the module's answer."""
    expected_dates = {
        "full term": result.full_term_on, "not before": result.earliest_on,
        "runs from": result.starts_on, "release": result.release_on,
    }  # fmt: skip
    expected_days = {
        "term days": result.term_days, "good time days": result.good_time_days,
        "earned applied": result.earned_days, "forfeited applied": result.forfeited_days,
    }  # fmt: skip
    wrong = {}
    for column, got in expected_dates.items():
        cell = value(row, column)
        if cell is not None and day(cell) != got:
            wrong[column] = (cell, got.isoformat())
    for column, count in expected_days.items():
        cell = value(row, column)
        if cell is not None and int(cell) != count:
            wrong[column] = (cell, str(count))
    assert not wrong, (
        f"docs/release-dates.md line {row.line} ({row.name}): (page, module) {wrong}\n"
        + "\n".join(result.lines)
    )


# --- The page holds the examples --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(AT_LEAST))
def test_the_page_keeps_its_tables_of_examples(kind: str) -> None:
    assert len(rows_of(kind)) >= AT_LEAST[kind]


def test_every_example_is_named_once() -> None:
    names = [row.name for row in ROWS if row.kind != "person"]
    assert len(names) == len(set(names))


# --- The rules, one row at a time -------------------------------------------------------------


@pytest.mark.parametrize("row", params("term"))
def test_a_term_ends_where_the_page_says(row: Row) -> None:
    got = add_term(day(row.cells["start"]), term(row.cells["term"]))
    assert got == day(row.cells["full term"]), f"line {row.line}: {row.cells['why']}"


@pytest.mark.parametrize("row", params("sentence"))
def test_one_sentence_releases_where_the_page_says(row: Row) -> None:
    assert value(row, "release") is not None, f"line {row.line}: an example needs its release"
    computation = compute([sentence_of(row)], {"S": rule_of(row)})
    check_result(row, computation.sentences[0])
    assert computation.release_on == day(row.cells["release"])


def _people() -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows_of("person"):
        grouped[row.cells["example"]].append(row)
    return grouped


def _compute_person(rows: list[Row]) -> sentencing.Computation:
    sentences = [sentence_of(row, key=row.cells["sentence"]) for row in rows]
    rules = {row.cells["sentence"]: rule_of(row) for row in rows}
    return compute(sentences, rules)


@pytest.mark.parametrize("row", params("person"))
def test_each_of_a_persons_sentences_runs_where_the_page_says(row: Row) -> None:
    computation = _compute_person(_people()[row.cells["example"]])
    by_key = {result.key: result for result in computation.sentences}
    check_result(row, by_key[row.cells["sentence"]])


@pytest.mark.parametrize("row", params("person outcome"))
def test_a_person_is_released_when_the_page_says(row: Row) -> None:
    people = _people()
    assert row.cells["example"] in people, f"line {row.line}: no sentences for this example"
    computation = _compute_person(people[row.cells["example"]])
    assert computation.release_on == day(row.cells["person's release"])
    assert computation.controlling == row.cells["controlling"]


def test_every_person_example_has_its_outcome() -> None:
    outcomes = {row.cells["example"] for row in rows_of("person outcome")}
    assert set(_people()) == outcomes


def _versions() -> dict[str, CreditRule]:
    return {
        row.cells["rule"].rpartition(" ")[2]: rule_of(
            row, label=row.cells["rule"], applies_from=row.cells["applies from"]
        )
        for row in rows_of("rule versions")
    }


@pytest.mark.parametrize("row", params("versioned"))
def test_the_version_in_force_on_the_imposed_day_applies(row: Row) -> None:
    versions = _versions()
    known = [versions[name.strip()] for name in row.cells["versions known"].split(",")]
    sentence = sentence_of(row)
    if row.cells["rule"] == "none":
        with pytest.raises(SentencingError):
            rule_for(known, sentence.imposed_on)
        return
    rule = rule_for(known, sentence.imposed_on)
    assert rule.label == row.cells["rule"], f"line {row.line}"
    computation = compute([sentence], {"S": rule})
    assert computation.release_on == day(row.cells["release"]), "\n".join(
        computation.sentences[0].lines
    )
    assert computation.rule_versions == [row.cells["rule"]]


# --- The parser itself ------------------------------------------------------------------------


def test_a_wrong_row_would_fail() -> None:
    """The checks compare what the page says: a row changed by a day no longer passes."""
    row = rows_of("sentence")[0]
    moved = (day(row.cells["release"]) + dt.timedelta(days=1)).isoformat()
    wrong = Row(row.kind, row.line, {**row.cells, "release": moved})
    computation = compute([sentence_of(wrong)], {"S": rule_of(wrong)})
    with pytest.raises(AssertionError, match="release"):
        check_result(wrong, computation.sentences[0])


def test_terms_are_read_as_written() -> None:
    assert term("1 year 1 month 1 day") == Term(1, 1, 1)
    assert term("18 months") == Term(months=18)
    with pytest.raises(AssertionError):
        term("a fortnight")
