"""Verdicts and sentences: remand on verdict, the no-contact order, sentences, credits, status.

Case file 1, steps 1 and 2, as services: a guilty verdict with a sentence
remands a free person into custody (a booking opened from the court record,
in custody, in the courtroom until an officer takes him to the cells), and
the verdict orders no contact with the protected party.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.booking.models import Booking, BookingStatus, IntakeStepCode, LegalStatus
from cellblock.classification.models import ProtectiveOrder
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.court import sentencing
from cellblock.court.models import (
    CaseCharge,
    CaseStatus,
    CreditKind,
    ReleaseDate,
    ReleaseDateChange,
    SentenceStatus,
    Verdict,
)
from cellblock.court.services.hearings import hearing_return, hearing_schedule
from cellblock.court.services.verdicts import (
    RemandData,
    SentenceData,
    VerdictData,
    credit_record,
    sentence_correct,
    sentence_impose,
    sentence_vacate,
    verdict_record,
)
from cellblock.court.tests.court_support import DOCKET, NOW, THEFT, events
from cellblock.custody.models import Movement
from cellblock.custody.services.movements import movement_return

pytestmark = pytest.mark.django_db

TWO_YEARS = sentencing.Term(years=2)
TODAY = NOW.date()


def release_on(booking):
    """The booking's computed release date, which these tests expect to exist."""
    day = ReleaseDate.objects.get(booking=booking).release_on
    assert day is not None
    return day


def counts(case):
    return list(CaseCharge.objects.filter(case=case).order_by("count_number"))


def guilty(*charges):
    return [VerdictData(charge=c, verdict="guilty") for c in charges]


def expected_release(term, start, served=0, good_time=(1, 3)):
    """The release the pure module gives one sentence under the test jail's rule."""
    rule = sentencing.CreditRule(
        jurisdiction="STATE", version=1, applies_from=dt.date(2000, 1, 1),
        good_time=sentencing.Fraction(*good_time),
    )  # fmt: skip
    one = sentencing.SentenceInput(
        key="s", imposed_on=start, starts_on=start, term=term, time_served_days=served
    )
    return sentencing.compute_one(one, rule, start).release_on


# --- Remand on verdict (case file 1, step 1) ------------------------------------------------


def test_a_guilty_verdict_remands_a_free_person_into_custody_from_the_court_record(
    clock, site, file_case, person, court_clerk, officer
):
    kakashi = person()
    case = file_case(kakashi)
    one, two = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one, two),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)], remand=RemandData(escort=officer),
    )  # fmt: skip

    booking = Booking.objects.get(person=kakashi)
    assert result.booking == booking
    assert (booking.source, booking.status, booking.legal_status) == (
        "court_remand", BookingStatus.IN_CUSTODY, LegalStatus.SENTENCED,
    )  # fmt: skip
    assert booking.facility == site.facility
    assert booking.committing_authority == "District Court, Judge Tsunade"
    assert booking.authority_reference == DOCKET
    # The court record stands in for the desk: who he is and what he is held on.
    steps = {s.step: s for s in booking.intake_steps.all()}
    assert steps[IntakeStepCode.IDENTITY].completed_by == court_clerk
    assert DOCKET in steps[IntakeStepCode.IDENTITY].note
    assert steps[IntakeStepCode.CHARGES].completed_at == NOW
    assert steps[IntakeStepCode.PROPERTY].completed_at is None
    booked = list(booking.charges.order_by("id"))
    assert [(c.statute, c.case_number) for c in booked] == [
        ("PC 484", DOCKET), ("PC 240", DOCKET),
    ]  # fmt: skip
    assert [c.booking_charge for c in counts(case)] == booked
    # He is in the courtroom: an open movement to court, recorded in the escort's name.
    movement = result.movement
    assert movement is not None
    assert (movement.destination, movement.escort, movement.returned_at) == ("court", officer, None)
    assert movement.recorded_by == officer
    assert events("booking.open")[-1].actor == court_clerk
    assert events("movement.start")[-1].actor == officer
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPOSED

    movement_return(actor=officer, movement=movement)
    assert Movement.objects.get(pk=movement.pk).returned_at == NOW


def test_the_remand_sets_the_release_date_from_the_sentence(
    clock, file_case, person, court_clerk, officer
):
    case = file_case(person(), charges=[THEFT])
    (one,) = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)], remand=RemandData(escort=officer),
    )  # fmt: skip
    (sentence,) = result.sentences
    assert sentence.time_served_days == 0
    release = ReleaseDate.objects.get(booking=result.booking)
    assert release.release_on == expected_release(TWO_YEARS, TODAY)
    assert release.controlling_sentence == sentence
    assert ReleaseDateChange.objects.get(booking=result.booking).cause == "verdict"


def test_a_remand_without_a_sentence_holds_the_person_pretrial_on_the_pending_count(
    clock, file_case, person, court_clerk, commander
):
    case = file_case(person())
    one, _ = counts(case)
    # The commander records movements herself: no escort is needed.
    result = verdict_record(actor=commander, case=case, verdicts=guilty(one), remand=RemandData())
    booking, movement = result.booking, result.movement
    assert booking is not None
    assert movement is not None
    assert booking.legal_status == LegalStatus.PRETRIAL
    assert (movement.recorded_by, movement.escort) == (commander, None)
    assert ReleaseDate.objects.filter(booking=booking, release_on__isnull=False).count() == 0


def test_acquitted_counts_are_not_booked_on_remand(clock, file_case, person, court_clerk, officer):
    case = file_case(person())
    one, two = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case,
        verdicts=[VerdictData(one, "guilty"), VerdictData(two, "not_guilty")],
        remand=RemandData(escort=officer),
    )  # fmt: skip
    assert result.booking is not None
    assert [c.statute for c in result.booking.charges.all()] == ["PC 484"]
    assert CaseCharge.objects.get(pk=two.pk).booking_charge is None


def test_a_person_already_held_is_not_remanded_twice(clock, held, file_case, court_clerk, officer):
    booking = held()
    case = file_case(booking.person)
    one, _ = counts(case)
    with pytest.raises(Conflict) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=guilty(one), remand=RemandData(escort=officer)
        )
    assert refused.value.code == "already_in_custody"
    assert booking.booking_number in refused.value.message
    # Nothing of the decision was written.
    assert CaseCharge.objects.get(pk=one.pk).verdict == Verdict.PENDING
    assert Booking.objects.filter(person=booking.person).count() == 1


def test_a_not_guilty_verdict_remands_nobody(clock, file_case, person, court_clerk, officer):
    kakashi = person()
    case = file_case(kakashi, charges=[THEFT])
    (one,) = counts(case)
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=[VerdictData(one, "not_guilty")],
            remand=RemandData(escort=officer),
        )  # fmt: skip
    assert list(refused.value.extra["fields"]) == ["remand"]
    result = verdict_record(actor=court_clerk, case=case, verdicts=[VerdictData(one, "not_guilty")])
    assert result.booking is None
    assert result.movement is None
    assert not Booking.objects.filter(person=kakashi).exists()
    assert CaseCharge.objects.get(pk=one.pk).verdict == Verdict.NOT_GUILTY
    assert result.case.status == CaseStatus.DISPOSED


def test_a_court_clerk_names_the_officer_who_takes_the_person_down(
    clock, file_case, person, court_clerk
):
    case = file_case(person(), charges=[THEFT])
    (one,) = counts(case)
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(actor=court_clerk, case=case, verdicts=guilty(one), remand=RemandData())
    assert "movement.record" in refused.value.extra["fields"]["remand.escort"][0]


def test_the_remand_escort_must_be_an_officer_of_the_facility(
    clock, file_case, person, court_clerk, visits_clerk
):
    case = file_case(person(), charges=[THEFT])
    (one,) = counts(case)
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=guilty(one),
            remand=RemandData(escort=visits_clerk),
        )  # fmt: skip
    assert list(refused.value.extra["fields"]) == ["remand.escort"]


def test_a_remand_given_at_a_hearing_is_its_production_and_the_return_closes_it(
    clock, file_case, person, court_clerk, officer
):
    case = file_case(person(), charges=[THEFT])
    hearing = hearing_schedule(
        actor=court_clerk, case=case, kind="trial", scheduled_at=NOW - dt.timedelta(hours=1)
    )
    (one,) = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one), remand=RemandData(escort=officer),
        hearing=hearing,
    )  # fmt: skip
    hearing.refresh_from_db()
    movement = result.movement
    assert movement is not None
    assert (hearing.booking, hearing.production) == (result.booking, movement)
    hearing_return(actor=officer, hearing=hearing)
    assert Movement.objects.get(pk=movement.pk).returned_at == NOW


# --- The no-contact order (case file 1, step 2) ---------------------------------------------


def test_the_verdict_orders_no_contact_with_every_party(
    clock, file_case, person, court_clerk, officer
):
    kakashi = person()
    sakura = person("Sakura", "Haruno", sex="female", date_of_birth=dt.date(2010, 3, 28))
    ino = person("Ino", "Yamanaka", sex="female")
    case = file_case(kakashi, parties=[(sakura, "protected_party"), (ino, "witness")])
    one, two = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one, two), remand=RemandData(escort=officer),
        no_contact=True,
    )  # fmt: skip
    orders = {o.protected_person: o for o in result.orders}
    assert set(orders) == {sakura, ino}
    order = orders[sakura]
    assert (order.person, order.source, order.scope, order.protected_role) == (
        kakashi, "court_order", "all_contact", "protected_party",
    )  # fmt: skip
    assert (order.issued_by, order.reference) == ("Judge Tsunade", DOCKET)
    assert orders[ino].protected_role == "witness"
    assert {e.actor for e in events("protective_order.create")} == {court_clerk}


def test_an_order_already_in_force_is_not_made_twice(clock, file_case, person, court_clerk):
    kakashi, sakura = person(), person("Sakura", "Haruno")
    first = file_case(kakashi, charges=[THEFT], parties=[(sakura, "victim")])
    verdict_record(
        actor=court_clerk, case=first, verdicts=[VerdictData(counts(first)[0], "dismissed")],
        no_contact=True,
    )  # fmt: skip
    second = file_case(kakashi, docket="TST-CR-2026-0043", parties=[(sakura, "victim")])
    result = verdict_record(
        actor=court_clerk, case=second, verdicts=guilty(counts(second)[0]), no_contact=True
    )
    assert result.orders == []
    assert ProtectiveOrder.objects.filter(person=kakashi, protected_person=sakura).count() == 1


def test_no_contact_needs_a_party_to_protect(clock, file_case, person, court_clerk):
    case = file_case(person(), charges=[THEFT])
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=guilty(counts(case)[0]), no_contact=True
        )
    assert list(refused.value.extra["fields"]) == ["no_contact"]


# --- Verdicts --------------------------------------------------------------------------------


def test_a_verdict_is_recorded_once(clock, file_case, person, court_clerk):
    case = file_case(person())
    one, _ = counts(case)
    verdict_record(actor=court_clerk, case=case, verdicts=guilty(one))
    with pytest.raises(Conflict) as refused:
        verdict_record(actor=court_clerk, case=case, verdicts=[VerdictData(one, "not_guilty")])
    assert refused.value.code == "verdict_recorded"
    assert refused.value.extra == {"count": 1}


def test_an_officer_cannot_record_a_verdict(clock, file_case, person, officer):
    case = file_case(person())
    with pytest.raises(PermissionDenied):
        verdict_record(actor=officer, case=case, verdicts=guilty(counts(case)[0]))


def test_a_verdict_names_a_count_of_its_own_case(clock, file_case, person, court_clerk):
    case = file_case(person())
    other = file_case(person("Obito", "Uchiha"), docket="TST-CR-2026-0099")
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(actor=court_clerk, case=case, verdicts=guilty(counts(other)[0]))
    assert list(refused.value.extra["fields"]) == ["verdicts[0].charge"]


def test_a_verdict_is_not_dated_in_the_future(clock, file_case, person, court_clerk):
    case = file_case(person())
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=guilty(counts(case)[0]),
            at=NOW + dt.timedelta(hours=1),
        )  # fmt: skip
    assert list(refused.value.extra["fields"]) == ["at"]


# --- Legal status ---------------------------------------------------------------------------


def test_the_legal_status_moves_from_pretrial_to_mixed_to_sentenced_with_the_verdicts(
    clock, held, file_case, court_clerk
):
    booking = held()
    case = file_case(booking.person)
    one, two = counts(case)
    verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)],
    )  # fmt: skip
    booking.refresh_from_db()
    assert booking.legal_status == LegalStatus.MIXED
    verdict_record(actor=court_clerk, case=case, verdicts=[VerdictData(two, "dismissed")])
    booking.refresh_from_db()
    assert booking.legal_status == LegalStatus.SENTENCED
    changes = [e.changes["legal_status"] for e in events("booking.legal_status")]
    assert changes == [["pretrial", "mixed"], ["mixed", "sentenced"]]
    assert {e.actor for e in events("booking.legal_status")} == {court_clerk}


def test_a_verdict_without_a_sentence_changes_no_status_and_audits_none(
    clock, held, file_case, court_clerk
):
    booking = held()
    case = file_case(booking.person)
    verdict_record(actor=court_clerk, case=case, verdicts=guilty(counts(case)[0]))
    booking.refresh_from_db()
    assert booking.legal_status == LegalStatus.PRETRIAL
    assert events("booking.legal_status") == []


# --- Sentences --------------------------------------------------------------------------------


def test_time_served_defaults_to_the_local_days_held_before_the_sentence(
    clock, held, file_case, court_clerk
):
    booking = held(booked_at=NOW - dt.timedelta(days=10, hours=3))
    case = file_case(booking.person, charges=[THEFT])
    (one,) = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)],
    )  # fmt: skip
    (sentence,) = result.sentences
    assert (sentence.imposed_on, sentence.starts_on, sentence.time_served_days) == (
        TODAY, TODAY, 10,
    )  # fmt: skip
    assert sentence.imposed_by == "Judge Tsunade"
    release = ReleaseDate.objects.get(booking=booking)
    assert release.release_on == expected_release(TWO_YEARS, TODAY, served=10)


def test_a_sentence_follows_a_guilty_verdict(clock, file_case, person, court_clerk):
    case = file_case(person())
    one, two = counts(case)
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case,
            verdicts=[VerdictData(one, "guilty"), VerdictData(two, "not_guilty")],
            sentences=[SentenceData(charge=two, term=TWO_YEARS)],
        )  # fmt: skip
    assert refused.value.extra["fields"] == {
        "sentences[0].charge": ["count 2 is not guilty: a sentence follows a guilty verdict."]
    }


def test_a_sentence_names_its_bad_fields(clock, file_case, person, court_clerk):
    case = file_case(person())
    one, two = counts(case)
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=guilty(one, two),
            sentences=[
                SentenceData(charge=one, term=sentencing.Term(years=200)),
                SentenceData(
                    charge=two, term=TWO_YEARS, imposed_on=TODAY + dt.timedelta(days=1),
                    relation="consecutive",
                ),
            ],
        )  # fmt: skip
    assert set(refused.value.extra["fields"]) == {
        "sentences[0].term", "sentences[1].imposed_on", "sentences[1].consecutive_to",
    }  # fmt: skip


def test_a_sentence_does_not_start_before_it_is_imposed(clock, file_case, person, court_clerk):
    case = file_case(person(), charges=[THEFT])
    (one,) = counts(case)
    verdict_record(actor=court_clerk, case=case, verdicts=guilty(one))
    with pytest.raises(ValidationFailed) as refused:
        sentence_impose(
            actor=court_clerk, case=case,
            data=SentenceData(charge=one, term=TWO_YEARS, starts_on=TODAY - dt.timedelta(days=1)),
        )  # fmt: skip
    assert "time_served_days" in refused.value.extra["fields"]["starts_on"][0]


def test_an_infraction_carries_no_custodial_sentence(clock, file_case, person, court_clerk):
    from cellblock.court.services.cases import CaseChargeData

    case = file_case(person(), charges=[CaseChargeData("MC 1", "Littering", "infraction")])
    (one,) = counts(case)
    verdict_record(actor=court_clerk, case=case, verdicts=guilty(one))
    with pytest.raises(ValidationFailed) as refused:
        sentence_impose(actor=court_clerk, case=case, data=SentenceData(charge=one, term=TWO_YEARS))
    assert "infraction" in refused.value.extra["fields"]["charge"][0]


def test_a_count_has_one_active_sentence(clock, file_case, person, court_clerk):
    case = file_case(person(), charges=[THEFT])
    (one,) = counts(case)
    verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)],
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        sentence_impose(actor=court_clerk, case=case, data=SentenceData(one, TWO_YEARS))
    assert refused.value.code == "sentence_exists"


def test_a_consecutive_sentence_follows_the_count_sentenced_before_it(
    clock, held, file_case, court_clerk
):
    booking = held()
    case = file_case(booking.person)
    one, two = counts(case)
    result = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one, two),
        sentences=[
            SentenceData(charge=one, term=TWO_YEARS),
            SentenceData(charge=two, term=sentencing.Term(months=6), relation="consecutive",
                         consecutive_to=one),
        ],
    )  # fmt: skip
    first, second = result.sentences
    assert second.consecutive_to == first
    release = ReleaseDate.objects.get(booking=booking)
    assert release.controlling_sentence == second
    assert release_on(booking) > expected_release(TWO_YEARS, TODAY)


def test_a_consecutive_sentence_cannot_follow_one_listed_after_it(
    clock, file_case, person, court_clerk
):
    case = file_case(person())
    one, two = counts(case)
    with pytest.raises(ValidationFailed) as refused:
        verdict_record(
            actor=court_clerk, case=case, verdicts=guilty(one, two),
            sentences=[
                SentenceData(charge=one, term=TWO_YEARS, relation="consecutive",
                             consecutive_to=two),
                SentenceData(charge=two, term=TWO_YEARS),
            ],
        )  # fmt: skip
    assert "count 2" in refused.value.extra["fields"]["sentences[0].consecutive_to"][0]


def test_a_sentence_follows_only_an_active_sentence_of_the_same_person(
    clock, file_case, person, court_clerk
):
    theirs = file_case(person("Obito", "Uchiha"), docket="TST-CR-2026-0001", charges=[THEFT])
    other = verdict_record(
        actor=court_clerk, case=theirs, verdicts=guilty(counts(theirs)[0]),
        sentences=[SentenceData(charge=counts(theirs)[0], term=TWO_YEARS)],
    ).sentences[0]  # fmt: skip
    kakashi = person()
    earlier = file_case(kakashi, docket="TST-CR-2026-0002", charges=[THEFT])
    mine = verdict_record(
        actor=court_clerk, case=earlier, verdicts=guilty(counts(earlier)[0]),
        sentences=[SentenceData(charge=counts(earlier)[0], term=TWO_YEARS)],
    ).sentences[0]  # fmt: skip
    sentence_vacate(actor=court_clerk, sentence=mine, reason="Set aside on appeal.")
    case = file_case(kakashi, charges=[THEFT])
    (one,) = counts(case)
    verdict_record(actor=court_clerk, case=case, verdicts=guilty(one))
    for target, message in ((other, "another person"), (mine, "vacated")):
        with pytest.raises(ValidationFailed) as refused:
            sentence_impose(
                actor=court_clerk, case=case,
                data=SentenceData(charge=one, term=TWO_YEARS, relation="consecutive",
                                  consecutive_to=target),
            )  # fmt: skip
        assert message in refused.value.extra["fields"]["consecutive_to"][0]


def test_a_correction_cannot_make_a_sentence_follow_itself_or_its_follower(
    clock, file_case, person, court_clerk
):
    case = file_case(person())
    one, two = counts(case)
    first, second = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one, two),
        sentences=[
            SentenceData(charge=one, term=TWO_YEARS),
            SentenceData(charge=two, term=TWO_YEARS, relation="consecutive", consecutive_to=one),
        ],
    ).sentences  # fmt: skip
    for target, message in ((first, "itself"), (second, "circle")):
        with pytest.raises(ValidationFailed) as refused:
            sentence_correct(
                actor=court_clerk, sentence=first, reason="Clerical error.",
                data=SentenceData(charge=one, term=TWO_YEARS, relation="consecutive",
                                  consecutive_to=target),
            )  # fmt: skip
        assert message in refused.value.extra["fields"]["consecutive_to"][0]


def test_a_corrected_sentence_replaces_the_old_one_and_keeps_its_followers(
    clock, held, file_case, court_clerk
):
    booking = held()
    case = file_case(booking.person)
    one, two = counts(case)
    first, second = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one, two),
        sentences=[
            SentenceData(charge=one, term=TWO_YEARS),
            SentenceData(charge=two, term=TWO_YEARS, relation="consecutive", consecutive_to=one),
        ],
    ).sentences  # fmt: skip
    before = release_on(booking)
    corrected = sentence_correct(
        actor=court_clerk, sentence=first, reason="The judgment says one year.",
        data=SentenceData(charge=one, term=sentencing.Term(years=1)),
    )  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SentenceStatus.VACATED
    assert first.end_reason == "The judgment says one year."
    assert second.consecutive_to == corrected
    (audited,) = events("sentence.correct")
    assert audited.changes["followers"] == [str(second.public_id)]
    assert release_on(booking) < before
    assert ReleaseDateChange.objects.filter(booking=booking, cause="sentence").count() == 1


def test_a_vacated_sentence_is_not_vacated_twice_and_the_date_goes(
    clock, held, file_case, court_clerk
):
    booking = held()
    case = file_case(booking.person, charges=[THEFT])
    (one,) = counts(case)
    (sentence,) = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)],
    ).sentences  # fmt: skip
    sentence_vacate(actor=court_clerk, sentence=sentence, reason="Quashed on appeal.")
    booking.refresh_from_db()
    assert booking.legal_status == LegalStatus.PRETRIAL
    assert ReleaseDate.objects.get(booking=booking).release_on is None
    with pytest.raises(Conflict) as refused:
        sentence_vacate(actor=court_clerk, sentence=sentence, reason="Again.")
    assert refused.value.code == "sentence_not_active"
    with pytest.raises(ValidationFailed):
        sentence_vacate(actor=court_clerk, sentence=sentence, reason=" ")


# --- Credits ---------------------------------------------------------------------------------


def test_forfeited_good_time_is_recorded_under_the_rule_in_force_and_moves_the_date(
    clock, held, file_case, court_clerk, court
):
    booking = held()
    case = file_case(booking.person, charges=[THEFT])
    (one,) = counts(case)
    (sentence,) = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)],
    ).sentences  # fmt: skip
    before = release_on(booking)
    entry = credit_record(
        actor=court_clerk, sentence=sentence, kind=CreditKind.FORFEITED, days=5,
        reason="Disciplinary sanction.",
    )  # fmt: skip
    assert entry.rule == court.rule
    (audited,) = events("credit.record")
    assert (audited.actor, audited.changes["rule"]) == (court_clerk, "STATE v1")
    assert release_on(booking) == before + dt.timedelta(days=5)
    assert ReleaseDateChange.objects.filter(booking=booking, cause="credit").count() == 1


def test_a_credit_names_its_bad_fields(clock, file_case, person, court_clerk):
    case = file_case(person(), charges=[THEFT])
    (one,) = counts(case)
    (sentence,) = verdict_record(
        actor=court_clerk, case=case, verdicts=guilty(one),
        sentences=[SentenceData(charge=one, term=TWO_YEARS)],
    ).sentences  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        credit_record(actor=court_clerk, sentence=sentence, kind="bonus", days=0, reason="")
    assert set(refused.value.extra["fields"]) == {"kind", "days", "reason"}
