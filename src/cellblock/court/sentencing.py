"""Release-date computation: sentences and credit rules in, a date and its working out.

The one place that decides when a sentenced person goes home.  Pure Python on
plain dataclasses (no Django, no clock): the services gather the inputs, call
``compute`` and store what it answers; docs/release-dates.md works every rule
through by hand, and the tests run those same examples.

Dates are whole days.  A sentence holds the person from its start date up to
the day before its release date: the release date is the first day they are
no longer held on it (a 10-day term from the 1st releases on the 11th).

The rules, in the order they apply to each sentence:

1. **Full term.**  The term is added to the start date in calendar units:
   years and months first, then days.  A start day that the end month lacks
   falls on that month's last day (31 January + 1 month = 28 or 29 February;
   29 February + 1 year = 28 February).  The full-term date is the day the
   person is released if no credit applies.
2. **Term days** are the days from the start to the full-term date.
3. **Good time**: ``floor(term days x numerator / denominator)`` under the rule
   version that applies to the sentence (the version in force on the day the
   sentence was imposed: the latest ``applies_from`` on or before that day,
   the higher version number when two share a date), unless the court ordered
   none or the rule excludes the charge's severity.
4. **Earned credit**: the days awarded, capped at the rule's days per month of
   the term as pronounced (a year is 12 months; days count one month per full
   30).  The cap does not depend on the start date, so a one-month sentence
   begun in February may earn as much as one begun in March.  Earned credit is
   allowed even where good time is not.
5. **Forfeiture** takes back good time and earned credit, never more than both.
6. **Time served**: custody before the sentence, exactly as the court credited
   it to this sentence.  The same days never count twice on consecutive
   sentences: the court credits them to one sentence of the chain, and the
   computation does not guess which days overlap.
7. **Release** = full-term date - time served - good time - earned + forfeited,
   but never before the minimum share of the term the rule requires to be
   served (rounded up to a whole day; time served counts as serving) and
   never before the start date.
8. **Consecutive** sentences start on the release date of the sentence they
   follow (or their own start date, if later); one that follows a sentence not
   given (served or vacated) runs from its own start.  **Concurrent**
   sentences run from their own start.  The person's release date is the
   latest of all; the sentence that sets it is the controlling one (the first
   given, on a tie).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction


class SentencingError(ValueError):
    """The sentences cannot be computed as given (a cycle, an unknown rule)."""


@dataclass(frozen=True)
class Term:
    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if min(self.years, self.months, self.days) < 0:
            raise SentencingError("A term cannot be negative.")
        if self.years == self.months == self.days == 0:
            raise SentencingError("A term must be at least one day.")

    @property
    def whole_months(self) -> int:
        """Months of the term as pronounced: 12 a year, one per full 30 days."""
        return self.years * 12 + self.months + self.days // 30

    def __str__(self) -> str:
        parts = [
            f"{n} {unit}{'' if n == 1 else 's'}"
            for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if n
        ]
        return " ".join(parts)


@dataclass(frozen=True)
class CreditRule:
    """One version of a jurisdiction's credit rules, as data."""

    jurisdiction: str
    version: int
    applies_from: dt.date
    good_time: Fraction = Fraction(0)
    excluded_severities: frozenset[str] = frozenset()
    earned_days_per_month_cap: int = 0
    minimum_served_percent: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        # Good time of the whole term or more would release on the first day.
        if not 0 <= self.good_time < 1:
            raise SentencingError("Good time must be a fraction from 0 up to, not including, 1.")
        if self.earned_days_per_month_cap < 0:
            raise SentencingError("The earned-credit cap cannot be negative.")
        if not 0 <= self.minimum_served_percent <= 100:
            raise SentencingError("The minimum share served is a percentage from 0 to 100.")

    @property
    def label(self) -> str:
        return f"{self.jurisdiction} v{self.version}"


@dataclass(frozen=True)
class SentenceInput:
    """One active sentence and its credits."""

    key: str
    imposed_on: dt.date
    starts_on: dt.date
    term: Term
    severity: str = ""
    consecutive_to: str | None = None
    time_served_days: int = 0
    earned_days: int = 0
    forfeited_days: int = 0
    good_time_eligible: bool = True

    def __post_init__(self) -> None:
        if min(self.time_served_days, self.earned_days, self.forfeited_days) < 0:
            raise SentencingError(f"Sentence {self.key}: credits cannot be negative.")


@dataclass(frozen=True)
class SentenceResult:
    key: str
    rule: str
    starts_on: dt.date
    full_term_on: dt.date
    term_days: int
    good_time_days: int
    earned_days: int
    forfeited_days: int
    time_served_days: int
    earliest_on: dt.date
    release_on: dt.date
    # The working out, one line per rule above, in words.
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Computation:
    release_on: dt.date | None
    controlling: str | None
    sentences: tuple[SentenceResult, ...] = field(default_factory=tuple)

    @property
    def rule_versions(self) -> list[str]:
        """The rule versions used, by jurisdiction then version number (v2 before v10)."""

        def order(label: str) -> tuple[str, int]:
            jurisdiction, _, version = label.rpartition(" v")
            return jurisdiction, int(version) if version.isdigit() else 0

        return sorted({result.rule for result in self.sentences}, key=order)


def add_term(start: dt.date, term: Term) -> dt.date:
    """``start`` plus ``term`` in calendar units, months clamped to their last day."""
    month_index = start.month - 1 + term.months
    year = start.year + term.years + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) + dt.timedelta(days=term.days)


def rule_for(rules: Iterable[CreditRule], imposed_on: dt.date) -> CreditRule:
    """The version in force on ``imposed_on``: latest ``applies_from``, then highest version."""
    applicable = [rule for rule in rules if rule.applies_from <= imposed_on]
    if not applicable:
        raise SentencingError(f"No credit rule applies to a sentence imposed on {imposed_on}.")
    return max(applicable, key=lambda rule: (rule.applies_from, rule.version))


def _ceil_percent(days: int, percent: int) -> int:
    return -((-days * percent) // 100)


def _good_time(sentence: SentenceInput, rule: CreditRule, term_days: int) -> tuple[int, str]:
    if not sentence.good_time_eligible:
        return 0, "Good time: none (the court ordered none)."
    if sentence.severity and sentence.severity in rule.excluded_severities:
        return 0, f"Good time: none ({sentence.severity} excluded by {rule.label})."
    if not rule.good_time:
        return 0, f"Good time: none under {rule.label}."
    days = math.floor(term_days * rule.good_time)
    return days, f"Good time {rule.good_time} of {term_days} days ({rule.label}): {days} days."


def compute_one(sentence: SentenceInput, rule: CreditRule, starts_on: dt.date) -> SentenceResult:
    """One sentence from ``starts_on`` (its own start, or later when consecutive)."""
    full_term_on = add_term(starts_on, sentence.term)
    term_days = (full_term_on - starts_on).days
    lines = []
    if starts_on != sentence.starts_on:
        lines.append(
            f"Consecutive: runs from {starts_on:%Y-%m-%d}, the release on the sentence it "
            f"follows (ordered start {sentence.starts_on:%Y-%m-%d})."
        )
    lines.append(
        f"Term {sentence.term} from {starts_on:%Y-%m-%d}: full term {full_term_on:%Y-%m-%d} "
        f"({term_days} days)."
    )
    good_time, good_time_line = _good_time(sentence, rule, term_days)
    lines.append(good_time_line)
    months = sentence.term.whole_months
    cap = rule.earned_days_per_month_cap * months
    earned = min(sentence.earned_days, cap)
    if sentence.earned_days:
        lines.append(
            f"Earned credit {sentence.earned_days} days, capped at {cap} "
            f"({rule.earned_days_per_month_cap} a month for {months} "
            f"month{'' if months == 1 else 's'}): {earned} days."
        )
    forfeited = min(sentence.forfeited_days, good_time + earned)
    if sentence.forfeited_days:
        lines.append(
            f"Forfeited {sentence.forfeited_days} days, at most the {good_time + earned} "
            f"credited: {forfeited} days."
        )
    served = sentence.time_served_days
    if served:
        lines.append(f"Time served before the sentence: {served} days.")
    candidate = full_term_on - dt.timedelta(days=served + good_time + earned - forfeited)
    minimum_days = _ceil_percent(term_days, rule.minimum_served_percent)
    earliest_on = max(starts_on, starts_on + dt.timedelta(days=minimum_days - served))
    release_on = max(candidate, earliest_on)
    if rule.minimum_served_percent:
        lines.append(
            f"At least {rule.minimum_served_percent}% of the term served ({minimum_days} days, "
            f"time served included): not before {earliest_on:%Y-%m-%d}."
        )
    if release_on > candidate:
        lines.append(f"Release {release_on:%Y-%m-%d} (credits beyond that are not used).")
    else:
        lines.append(f"Release {release_on:%Y-%m-%d}.")
    return SentenceResult(
        key=sentence.key, rule=rule.label, starts_on=starts_on, full_term_on=full_term_on,
        term_days=term_days, good_time_days=good_time, earned_days=earned,
        forfeited_days=forfeited, time_served_days=served, earliest_on=earliest_on,
        release_on=release_on, lines=tuple(lines),
    )  # fmt: skip


def _chain_to(
    key: str, by_key: Mapping[str, SentenceInput], done: Mapping[str, object]
) -> list[str]:
    """``key`` and the sentences it follows, nearest first, up to one already computed."""
    chain: list[str] = []
    current: str | None = key
    while current is not None and current in by_key and current not in done:
        if current in chain:
            circle = " -> ".join([*chain[chain.index(current) :], current])
            raise SentencingError(f"Sentences are consecutive to each other in a circle: {circle}.")
        chain.append(current)
        current = by_key[current].consecutive_to
    return chain


def compute(sentences: Sequence[SentenceInput], rules: Mapping[str, CreditRule]) -> Computation:
    """Every sentence's release and the person's: the latest, and which sentence sets it.

    ``rules`` gives each sentence's rule version by its key.  A sentence
    consecutive to one not in ``sentences`` (served or vacated) runs from its
    own start.
    """
    by_key: dict[str, SentenceInput] = {}
    for sentence in sentences:
        if sentence.key in by_key:
            raise SentencingError(f"Sentence {sentence.key} is given twice.")
        if sentence.key not in rules:
            raise SentencingError(f"No credit rule given for sentence {sentence.key}.")
        by_key[sentence.key] = sentence
    results: dict[str, SentenceResult] = {}
    for sentence in sentences:
        # Walk up to the first sentence of the chain, then compute back down it.
        for key in reversed(_chain_to(sentence.key, by_key, results)):
            current = by_key[key]
            starts_on = current.starts_on
            before = results.get(current.consecutive_to or "")
            if before is not None:
                starts_on = max(starts_on, before.release_on)
            results[key] = compute_one(current, rules[key], starts_on)
    if not results:
        return Computation(release_on=None, controlling=None)
    ordered = tuple(results[sentence.key] for sentence in sentences)
    controlling = max(ordered, key=lambda result: result.release_on)
    return Computation(
        release_on=controlling.release_on, controlling=controlling.key, sentences=ordered
    )
