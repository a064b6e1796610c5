"""The sentence fields the verdict form and the correction form share, and how they are read.

A sentence is a term (years, months, days) from a start date, concurrent
with the others or consecutive to one of them (a count sentenced in the same
verdict, or a sentence the person already serves), with the custody already
served (left empty, the service counts the days held in the current booking)
and whether good time may be earned.  The fields are named ``<prefix>years``
and so on, so one page can carry a set per count.
"""

from __future__ import annotations

from dataclasses import dataclass

from cellblock.court import selectors
from cellblock.court.models import CaseCharge, Sentence, SentenceRelation
from cellblock.court.sentencing import SentencingError, Term
from cellblock.court.services.verdicts import SentenceData
from cellblock.court.views.common import FormProblems, term_text
from cellblock.people.models import Person

TERM_REQUIRED = "give the term in years, months or days (at least one day)."
CHOOSE_CONSECUTIVE = "choose the sentence this one follows."
NOT_CONSECUTIVE = "a concurrent sentence follows no other; choose consecutive or leave it empty."
RELATIONS = SentenceRelation.choices
GOOD_TIME = (("yes", "May earn good time"), ("no", "No good time (ordered by the court)"))
TERM_FIELDS = ("years", "months", "days")
SENTENCE_FIELDS = (
    *TERM_FIELDS, "relation", "follows", "imposed_on", "starts_on", "time_served_days",
    "good_time",
)  # fmt: skip


@dataclass(frozen=True)
class SentenceFields:
    """One set of sentence fields as the template draws it: names, values, messages."""

    prefix: str
    # The id prefix of the inputs, so labels point at them.
    id: str
    values: dict[str, str]
    errors: dict[str, str]


def sentence_fields(
    prefix: str, form: dict[str, str], errors: dict[str, str], *, id: str
) -> SentenceFields:
    values = {name: form.get(f"{prefix}{name}", "") for name in SENTENCE_FIELDS}
    values["relation"] = values["relation"] or SentenceRelation.CONCURRENT
    values["good_time"] = values["good_time"] or "yes"
    mine = {
        name.removeprefix(prefix): text
        for name, text in errors.items()
        if (prefix and name.startswith(prefix)) or (not prefix and name.split(".")[0] in (
            *SENTENCE_FIELDS, "term",
        ))
    }  # fmt: skip
    return SentenceFields(prefix=prefix, id=id, values=values, errors=mine)


@dataclass(frozen=True)
class FollowOption:
    """Something a consecutive sentence may follow: a count of this verdict or a sentence."""

    value: str
    label: str
    target: Sentence | CaseCharge


def follow_options(
    person_sentences: list[Sentence], charges: list[CaseCharge], *, exclude: Sentence | None = None
) -> list[FollowOption]:
    options = [
        FollowOption(
            f"charge:{charge.public_id}",
            f"Count {charge.count_number} of this case ({charge.statute}), sentenced now",
            charge,
        )
        for charge in charges
    ]
    options += [
        FollowOption(
            f"sentence:{sentence.public_id}",
            f"{sentence.case.docket_number} count {sentence.charge.count_number}: "
            f"{term_text(sentence)} from {sentence.starts_on:%Y-%m-%d}",
            sentence,
        )
        for sentence in person_sentences
        if exclude is None or sentence.pk != exclude.pk
    ]
    return options


def person_sentences(person: Person) -> list[Sentence]:
    """The person's active sentences, with the case and count the options name."""
    return selectors.active_sentences(person)


def sentence_initial(sentence: Sentence, prefix: str = "") -> dict[str, str]:
    """A recorded sentence as the fields show it, to correct it."""
    follows = ""
    if sentence.consecutive_to_id is not None:
        follows = f"sentence:{sentence.consecutive_to.public_id}"  # type: ignore[union-attr]
    return {
        f"{prefix}years": str(sentence.term_years or ""),
        f"{prefix}months": str(sentence.term_months or ""),
        f"{prefix}days": str(sentence.term_days or ""),
        f"{prefix}relation": sentence.relation,
        f"{prefix}follows": follows,
        f"{prefix}imposed_on": sentence.imposed_on.isoformat(),
        f"{prefix}starts_on": sentence.starts_on.isoformat(),
        f"{prefix}time_served_days": str(sentence.time_served_days),
        f"{prefix}good_time": "yes" if sentence.good_time_eligible else "no",
    }


def has_term(form: dict[str, str], prefix: str) -> bool:
    return any(form.get(f"{prefix}{name}", "") for name in TERM_FIELDS)


def read_sentence(
    form: dict[str, str],
    prefix: str,
    charge: CaseCharge,
    options: list[FollowOption],
    problems: FormProblems,
) -> SentenceData | None:
    """The sentence the fields describe, or None (``problems`` says what to fix)."""
    numbers = {name: problems.count(form, f"{prefix}{name}") for name in TERM_FIELDS}
    imposed_on = problems.date(form, f"{prefix}imposed_on")
    starts_on = problems.date(form, f"{prefix}starts_on")
    served = problems.count(form, f"{prefix}time_served_days")
    term: Term | None = None
    if not any(f"{prefix}{name}" in problems.fields for name in TERM_FIELDS):
        try:
            term = Term(numbers["years"] or 0, numbers["months"] or 0, numbers["days"] or 0)
        except SentencingError:
            problems.fields[f"{prefix}term"] = TERM_REQUIRED
    relation = form.get(f"{prefix}relation", "") or SentenceRelation.CONCURRENT
    follows = form.get(f"{prefix}follows", "")
    target: Sentence | CaseCharge | None = None
    if follows:
        option = next((o for o in options if o.value == follows), None)
        if option is None:
            problems.fields[f"{prefix}follows"] = CHOOSE_CONSECUTIVE
        elif relation != SentenceRelation.CONSECUTIVE:
            problems.fields[f"{prefix}follows"] = NOT_CONSECUTIVE
        else:
            target = option.target
    elif relation == SentenceRelation.CONSECUTIVE:
        problems.fields[f"{prefix}follows"] = CHOOSE_CONSECUTIVE
    if term is None or problems:
        return None
    return SentenceData(
        charge=charge, term=term, imposed_on=imposed_on, starts_on=starts_on,
        relation=relation, consecutive_to=target, time_served_days=served,
        good_time_eligible=form.get(f"{prefix}good_time", "yes") != "no",
    )  # fmt: skip
