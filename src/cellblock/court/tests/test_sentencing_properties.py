"""What must hold for every sentence, credit and rule, not just the worked examples.

Hypothesis draws people with up to six sentences (concurrent, consecutive
chains, sentences following one already served), rule versions and credits,
and checks the promises of docs/release-dates.md: more credit never releases
later, forfeiture never earlier, a consecutive sentence never ends before the
same sentence run concurrently, nobody leaves before a sentence starts, and
calendar terms clamp month ends and leap days.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cellblock.court.sentencing import (
    Computation,
    CreditRule,
    SentenceInput,
    SentencingError,
    Term,
    add_term,
    compute,
    rule_for,
)

# 2000 is a leap year (divisible by 400), 2100 is not (a century): both are in range.
ANY_DAY = st.dates(min_value=dt.date(1996, 1, 1), max_value=dt.date(2104, 12, 31))
# Month ends and their neighbours are where calendar arithmetic goes wrong: drawn often.
NEAR_MONTH_END = st.builds(
    lambda year, month, back: dt.date(year, month, calendar.monthrange(year, month)[1])
    - dt.timedelta(days=back),
    st.integers(1996, 2104), st.integers(1, 12), st.integers(-1, 2),
)  # fmt: skip
DAYS = st.one_of(ANY_DAY, NEAR_MONTH_END)
SEVERITIES = ("felony", "misdemeanour", "infraction")
PERCENTS = st.one_of(st.sampled_from([0, 50, 85, 100]), st.integers(0, 100))
CREDIT_DAYS = st.one_of(st.just(0), st.integers(0, 20), st.integers(0, 500))
# Drawing a person is the slow part; other suites run beside this one on a busy machine.
PROPERTY = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def terms(draw: st.DrawFn) -> Term:
    years = draw(st.integers(0, 6))
    months = draw(st.integers(0, 30))
    # Short terms in days (a month and a day, 29 or 30 days) sit on the edges of the rules.
    days = draw(st.one_of(st.integers(0, 400), st.integers(0, 3), st.integers(27, 32)))
    assume(years or months or days)
    return Term(years=years, months=months, days=days)


@st.composite
def rules(draw: st.DrawFn, version: int = 1) -> CreditRule:
    denominator = draw(st.integers(1, 10))
    return CreditRule(
        jurisdiction="STATE", version=version, applies_from=dt.date(1990, 1, 1),
        good_time=Fraction(draw(st.integers(0, denominator - 1)), denominator),
        excluded_severities=frozenset(draw(st.sets(st.sampled_from(SEVERITIES), max_size=2))),
        earned_days_per_month_cap=draw(st.integers(0, 15)),
        minimum_served_percent=draw(PERCENTS),
    )  # fmt: skip


@st.composite
def people(draw: st.DrawFn, size: int = 6) -> tuple[list[SentenceInput], dict[str, CreditRule]]:
    """Up to ``size`` sentences; a consecutive one follows an earlier one (or one served)."""
    count = draw(st.integers(1, size))
    sentences: list[SentenceInput] = []
    for index in range(count):
        key = f"S{index}"
        follows = draw(st.sampled_from([None, "gone", *[s.key for s in sentences]]))
        start = draw(DAYS)
        sentences.append(
            SentenceInput(
                key=key, imposed_on=start, starts_on=start, term=draw(terms()),
                severity=draw(st.sampled_from(("", *SEVERITIES))), consecutive_to=follows,
                time_served_days=draw(CREDIT_DAYS), earned_days=draw(CREDIT_DAYS),
                forfeited_days=draw(CREDIT_DAYS), good_time_eligible=draw(st.booleans()),
            )
        )  # fmt: skip
    shared = draw(rules())
    # Most people are sentenced under one version; some under several.
    by_key = {s.key: draw(st.one_of(st.just(shared), rules())) for s in sentences}
    return sentences, by_key


def releases(computation: Computation) -> dict[str, dt.date]:
    return {result.key: result.release_on for result in computation.sentences}


def never_later(before: Computation, after: Computation) -> None:
    """``after`` releases every sentence, and the person, on or before ``before``."""
    assert before.release_on is not None
    assert after.release_on is not None
    assert after.release_on <= before.release_on
    earlier = releases(before)
    for key, day in releases(after).items():
        assert day <= earlier[key], key


def with_more(
    sentences: list[SentenceInput], index: int, field: str, extra: int
) -> list[SentenceInput]:
    changed = list(sentences)
    current = changed[index]
    changed[index] = dataclasses.replace(current, **{field: getattr(current, field) + extra})
    return changed


# --- Calendar terms -------------------------------------------------------------------------


@PROPERTY
@given(DAYS, terms())
def test_a_term_always_ends_after_it_starts_on_the_clamped_day(start: dt.date, term: Term) -> None:
    end = add_term(start, term)
    assert end > start
    months_on = (
        add_term(start, Term(term.years, term.months, 0)) if term.years or term.months else start
    )
    # Years and months land on the start's day, or on the month's last day when it is shorter.
    last = calendar.monthrange(months_on.year, months_on.month)[1]
    assert months_on.day == min(start.day, last)
    assert end == months_on + dt.timedelta(days=term.days)


@PROPERTY
@given(DAYS, DAYS, terms())
def test_a_later_start_never_ends_a_term_earlier(
    first: dt.date, second: dt.date, term: Term
) -> None:
    early, late = sorted((first, second))
    assert add_term(early, term) <= add_term(late, term)


@PROPERTY
@given(DAYS, st.integers(0, 8))
def test_a_year_is_twelve_months(start: dt.date, years: int) -> None:
    assume(years)
    assert add_term(start, Term(years=years)) == add_term(start, Term(months=12 * years))


@PROPERTY
@given(st.integers(1996, 2100).filter(calendar.isleap), st.integers(1, 8))
def test_29_february_plus_years_is_29_february_in_a_leap_year_else_28(
    year: int, years: int
) -> None:
    end = add_term(dt.date(year, 2, 29), Term(years=years))
    assert (end.month, end.day) == (2, 29 if calendar.isleap(year + years) else 28)


@PROPERTY
@given(st.integers(1996, 2104))
def test_31_january_plus_a_month_is_the_last_day_of_february(year: int) -> None:
    end = add_term(dt.date(year, 1, 31), Term(months=1))
    assert end == dt.date(year, 2, 29 if calendar.isleap(year) else 28)


@PROPERTY
@given(st.integers(1996, 2104), st.sampled_from([1, 3, 5, 7, 8, 10, 12]), st.integers(1, 40))
def test_the_31st_plus_months_ends_on_the_last_day_of_a_shorter_month(
    year: int, month: int, months: int
) -> None:
    end = add_term(dt.date(year, month, 31), Term(months=months))
    assert end.day == min(31, calendar.monthrange(end.year, end.month)[1])
    assert (end.year * 12 + end.month) - (year * 12 + month) == months


def test_31_march_plus_a_month_is_30_april_and_month_ends_follow_the_calendar() -> None:
    assert add_term(dt.date(2025, 3, 31), Term(months=1)) == dt.date(2025, 4, 30)
    assert add_term(dt.date(2025, 3, 31), Term(months=11)) == dt.date(2026, 2, 28)
    assert add_term(dt.date(2023, 3, 31), Term(months=11)) == dt.date(2024, 2, 29)
    assert add_term(dt.date(2099, 2, 28), Term(years=1)) == dt.date(2100, 2, 28)
    assert add_term(dt.date(2096, 2, 29), Term(years=4)) == dt.date(2100, 2, 28)


# --- Release dates ------------------------------------------------------------------------


@PROPERTY
@given(people())
def test_nobody_is_released_before_a_sentence_starts_or_after_its_full_term(
    person: tuple[list[SentenceInput], dict[str, CreditRule]],
) -> None:
    sentences, by_key = person
    computation = compute(sentences, by_key)
    for result in computation.sentences:
        assert result.starts_on <= result.earliest_on <= result.release_on <= result.full_term_on
    assert computation.release_on == max(r.release_on for r in computation.sentences)
    controlling = next(r for r in computation.sentences if r.key == computation.controlling)
    assert controlling.release_on == computation.release_on


@PROPERTY
@given(people(), st.data())
def test_a_consecutive_sentence_runs_from_the_release_it_follows(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], data: st.DataObject
) -> None:
    sentences, by_key = person
    results = {r.key: r for r in compute(sentences, by_key).sentences}
    for sentence in sentences:
        before = results.get(sentence.consecutive_to or "")
        expected = (
            sentence.starts_on if before is None else max(sentence.starts_on, before.release_on)
        )
        assert results[sentence.key].starts_on == expected
        # A chain never ends before any sentence in it.
        if before is not None:
            assert results[sentence.key].release_on >= before.release_on


@PROPERTY
@given(people(), st.data(), st.integers(1, 400))
def test_more_time_served_never_releases_later(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], data: st.DataObject, extra: int
) -> None:
    sentences, by_key = person
    index = data.draw(st.integers(0, len(sentences) - 1))
    more = with_more(sentences, index, "time_served_days", extra)
    never_later(compute(sentences, by_key), compute(more, by_key))


@PROPERTY
@given(people(), st.data(), st.integers(1, 400))
def test_more_earned_credit_never_releases_later(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], data: st.DataObject, extra: int
) -> None:
    sentences, by_key = person
    index = data.draw(st.integers(0, len(sentences) - 1))
    more = with_more(sentences, index, "earned_days", extra)
    never_later(compute(sentences, by_key), compute(more, by_key))


@PROPERTY
@given(people(), st.data(), st.integers(1, 400))
def test_forfeiture_never_releases_earlier(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], data: st.DataObject, extra: int
) -> None:
    sentences, by_key = person
    index = data.draw(st.integers(0, len(sentences) - 1))
    more = with_more(sentences, index, "forfeited_days", extra)
    never_later(compute(more, by_key), compute(sentences, by_key))


@PROPERTY
@given(people(size=1), st.integers(1, 3))
def test_a_later_start_never_releases_earlier(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], later: int
) -> None:
    """The heart of consecutive sentences: starting later never ends earlier."""
    sentences, by_key = person
    moved = [
        dataclasses.replace(s, starts_on=s.starts_on + dt.timedelta(days=later)) for s in sentences
    ]
    never_later(compute(moved, by_key), compute(sentences, by_key))


# Found by reasoning, kept as a fixed example: with an earned-credit cap counted in days
# from the start, B started on 1 March (after A) had 32 term days and earned 5, and left
# a day before B run concurrently from 28 February (29 days, no credit).
CAP_BY_START = (
    [
        SentenceInput(
            key="A", imposed_on=dt.date(2025, 2, 1), starts_on=dt.date(2025, 2, 1),
            term=Term(months=1),
        ),
        SentenceInput(
            key="B", imposed_on=dt.date(2025, 2, 28), starts_on=dt.date(2025, 2, 28),
            term=Term(months=1, days=1), earned_days=5, consecutive_to="A",
        ),
    ],
    dict.fromkeys(
        "AB",
        CreditRule(
            jurisdiction="STATE", version=1, applies_from=dt.date(1990, 1, 1),
            earned_days_per_month_cap=5,
        ),
    ),
)  # fmt: skip


@PROPERTY
@given(people(), st.data())
@example(CAP_BY_START, None).via("a cap counted from the start date")
def test_consecutive_is_never_shorter_than_concurrent(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], data: st.DataObject | None
) -> None:
    sentences, by_key = person
    concurrent = [dataclasses.replace(s, consecutive_to=None) for s in sentences]
    never_later(compute(sentences, by_key), compute(concurrent, by_key))
    # And one link at a time: cutting any single chain never lengthens anything.
    index = data.draw(st.integers(0, len(sentences) - 1)) if data is not None else 1
    cut = list(sentences)
    cut[index] = dataclasses.replace(cut[index], consecutive_to=None)
    never_later(compute(sentences, by_key), compute(cut, by_key))


@PROPERTY
@given(people(), st.data())
def test_a_version_with_more_good_time_never_releases_later(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], data: st.DataObject
) -> None:
    sentences, by_key = person
    key = data.draw(st.sampled_from(sorted(by_key)))
    old = by_key[key]
    more = Fraction(data.draw(st.integers(0, 99)), 100)
    assume(more > old.good_time)
    newer = {**by_key, key: dataclasses.replace(old, version=old.version + 1, good_time=more)}
    never_later(compute(sentences, by_key), compute(sentences, newer))


@PROPERTY
@given(people(size=1), st.integers(1, 20))
def test_a_higher_earned_credit_cap_never_releases_later(
    person: tuple[list[SentenceInput], dict[str, CreditRule]], extra: int
) -> None:
    sentences, by_key = person
    raised = {
        k: dataclasses.replace(r, earned_days_per_month_cap=r.earned_days_per_month_cap + extra)
        for k, r in by_key.items()
    }
    never_later(compute(sentences, by_key), compute(sentences, raised))


@PROPERTY
@given(DAYS, terms(), st.integers(1, 6))
def test_a_circle_of_consecutive_sentences_is_refused(
    start: dt.date, term: Term, size: int
) -> None:
    keys = [f"S{n}" for n in range(size)]
    # Each follows the next; the last follows the first.
    sentences = [
        SentenceInput(key=key, imposed_on=start, starts_on=start, term=term,
                      consecutive_to=keys[(n + 1) % size])
        for n, key in enumerate(keys)
    ]  # fmt: skip
    rule = CreditRule(jurisdiction="STATE", version=1, applies_from=dt.date(1990, 1, 1))
    with pytest.raises(SentencingError, match="circle"):
        compute(sentences, dict.fromkeys(keys, rule))


@PROPERTY
@given(st.lists(st.tuples(DAYS, st.integers(1, 9)), min_size=1, max_size=6), DAYS)
def test_the_version_in_force_on_the_imposed_day_is_chosen(
    versions: list[tuple[dt.date, int]], imposed: dt.date
) -> None:
    known = [
        CreditRule(jurisdiction="STATE", version=n, applies_from=applies_from)
        for n, (applies_from, _) in enumerate(versions, start=1)
    ]
    in_force = [rule for rule in known if rule.applies_from <= imposed]
    if not in_force:
        with pytest.raises(SentencingError):
            rule_for(known, imposed)
        return
    chosen = rule_for(known, imposed)
    assert chosen.applies_from == max(rule.applies_from for rule in in_force)
    assert chosen.version == max(
        r.version for r in in_force if r.applies_from == chosen.applies_from
    )


def test_no_sentences_means_no_date() -> None:
    assert compute([], {}) == Computation(release_on=None, controlling=None)
