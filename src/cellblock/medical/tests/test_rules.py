"""The scheduling warnings, on plain data: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.medical import rules
from cellblock.medical.rules import ConflictFact, ConsentFact, SchedulingWarning

SASUKE = "Sasuke Uchiha"
SAKURA, SAKURA_ID = "Sakura Haruno", 1
SHIZUNE, SHIZUNE_ID = "Shizune", 2
MARCH_14 = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)
MARCH_16 = dt.datetime(2026, 3, 16, 9, 30, tzinfo=dt.UTC)


def refusal(
    *, scope: str = "general", treatment: str = "", but: tuple[int, str] | None = None,
    at: dt.datetime = MARCH_14, decision: str = "refusal",
) -> ConsentFact:  # fmt: skip
    return ConsentFact(
        decision=decision, scope=scope, treatment=treatment,
        except_provider_id=but[0] if but else None, except_provider=but[1] if but else "",
        recorded_at=at,
    )  # fmt: skip


def consent(**kwargs: object) -> ConsentFact:
    return refusal(decision="consent", **kwargs)  # type: ignore[arg-type]


def conflict(kind: str = "alleged_victim", *, staff: tuple[int, str] = (SAKURA_ID, SAKURA)):
    return ConflictFact(staff_id=staff[0], staff=staff[1], kind=kind, recorded_at=MARCH_14)


def warnings_for(
    provider: tuple[int, str] = (SHIZUNE_ID, SHIZUNE), *, treatment: str = "",
    consents: tuple[ConsentFact, ...] = (), conflicts: tuple[ConflictFact, ...] = (),
) -> list[SchedulingWarning]:  # fmt: skip
    return rules.scheduling_warnings(
        person=SASUKE, provider_id=provider[0], provider=provider[1], treatment=treatment,
        consents=consents, conflicts=conflicts, them="him",
    )  # fmt: skip


def codes(found: list[SchedulingWarning]) -> list[str]:
    return [warning.code for warning in found]


def test_nothing_on_record_gives_no_warnings():
    assert warnings_for() == []


def test_scheduling_another_medic_warns_that_he_refuses_all_but_sakura():
    [warning] = warnings_for(consents=(refusal(but=(SAKURA_ID, SAKURA)),))

    assert warning == SchedulingWarning(
        "provider_refused",
        "Sasuke Uchiha refuses every provider except Sakura Haruno (refusal recorded "
        "14 Mar 2026): expect him to refuse Shizune.",
    )


def test_scheduling_sakura_herself_raises_no_refusal_but_needs_an_acknowledgement():
    [warning] = warnings_for(
        (SAKURA_ID, SAKURA), consents=(refusal(but=(SAKURA_ID, SAKURA)),), conflicts=(conflict(),)
    )

    assert warning == SchedulingWarning(
        "staff_victim_conflict",
        "Sakura Haruno is the alleged victim of Sasuke Uchiha (staff conflict recorded "
        "14 Mar 2026): a supervisor must acknowledge before the encounter goes ahead.",
        needs_acknowledgement=True,
    )
    assert rules.needs_acknowledgement([warning])


def test_a_refusal_of_all_care_warns_whoever_is_scheduled():
    [warning] = warnings_for((SAKURA_ID, SAKURA), consents=(refusal(),))

    assert warning.code == "care_refused"
    assert warning.message == (
        "Sasuke Uchiha refuses all care (refusal recorded 14 Mar 2026): expect him to refuse "
        "Sakura Haruno."
    )
    assert not warning.needs_acknowledgement


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        pytest.param((refusal(),), ["care_refused"], id="a refusal"),
        pytest.param((consent(),), [], id="a consent"),
        pytest.param(
            (refusal(at=MARCH_14), consent(at=MARCH_16)), [], id="a consent after a refusal"
        ),
        pytest.param(
            (consent(at=MARCH_14), refusal(at=MARCH_16)), ["care_refused"],
            id="a refusal after a consent",
        ),
        pytest.param(
            (refusal(at=MARCH_14), refusal(at=MARCH_16, but=(SAKURA_ID, SAKURA))),
            ["provider_refused"], id="an exception after a refusal of all care",
        ),
        pytest.param(
            (refusal(at=MARCH_16), refusal(at=MARCH_14, but=(SHIZUNE_ID, SHIZUNE))),
            ["care_refused"], id="a refusal of all care after an exception",
        ),
        pytest.param(
            (refusal(but=(SHIZUNE_ID, SHIZUNE)),), [], id="the provider is the exception"
        ),
    ],
)  # fmt: skip
def test_the_newest_general_record_governs(records, expected):
    assert codes(warnings_for(consents=records)) == expected


def test_the_warning_dates_the_record_that_governs():
    [warning] = warnings_for(consents=(consent(at=MARCH_14), refusal(at=MARCH_16)))

    assert "(refusal recorded 16 Mar 2026)" in warning.message


@pytest.mark.parametrize(
    ("asked", "records", "expected"),
    [
        pytest.param("Tetanus shot", (refusal(scope="treatment", treatment="tetanus shot"),),
                     ["treatment_refused"], id="same treatment, other case"),
        pytest.param(" tetanus   shot ", (refusal(scope="treatment", treatment="Tetanus shot"),),
                     ["treatment_refused"], id="same treatment, other spacing"),
        pytest.param("Stitches", (refusal(scope="treatment", treatment="Tetanus shot"),), [],
                     id="another treatment"),
        pytest.param("", (refusal(scope="treatment", treatment="Tetanus shot"),), [],
                     id="no treatment named"),
        pytest.param(
            "Tetanus shot",
            (refusal(scope="treatment", treatment="Tetanus shot", at=MARCH_14),
             consent(scope="treatment", treatment="Tetanus shot", at=MARCH_16)),
            [], id="consented since",
        ),
        pytest.param(
            "Tetanus shot",
            (refusal(but=(SAKURA_ID, SAKURA)),
             refusal(scope="treatment", treatment="Tetanus shot")),
            ["provider_refused", "treatment_refused"], id="both refusals",
        ),
    ],
)  # fmt: skip
def test_a_refused_treatment_warns_only_when_that_treatment_is_scheduled(asked, records, expected):
    assert codes(warnings_for(treatment=asked, consents=records)) == expected


def test_a_treatment_warning_never_names_the_treatment():
    [warning] = warnings_for(
        treatment="Tetanus shot", consents=(refusal(scope="treatment", treatment="Tetanus shot"),)
    )

    assert "tetanus" not in warning.message.lower()
    assert warning.message == (
        "Sasuke Uchiha refuses this treatment (refusal recorded 14 Mar 2026): expect him to "
        "refuse it from Shizune too."
    )


@pytest.mark.parametrize(
    ("kind", "code", "needs_ack", "words"),
    [
        ("alleged_victim", "staff_victim_conflict", True, "is the alleged victim of"),
        ("family", "staff_conflict", False, "a family or personal relationship"),
        ("other", "staff_conflict", False, "a conflict of interest"),
    ],
)
def test_a_conflict_with_the_provider_warns_by_its_kind(kind, code, needs_ack, words):
    [warning] = warnings_for(conflicts=(conflict(kind, staff=(SHIZUNE_ID, SHIZUNE)),))

    assert warning.code == code
    assert warning.needs_acknowledgement is needs_ack
    assert words in warning.message
    assert warning.message.startswith("Shizune ")


def test_a_plain_conflict_reads_as_advice():
    [warning] = warnings_for(conflicts=(conflict("family", staff=(SHIZUNE_ID, SHIZUNE)),))

    assert warning.message == (
        "Shizune has a staff conflict with Sasuke Uchiha (a family or personal relationship, "
        "recorded 14 Mar 2026): consider another provider, or a second member of staff present."
    )


def test_another_staff_members_conflict_does_not_concern_this_provider():
    assert warnings_for(conflicts=(conflict(),)) == []


def test_the_person_is_them_unless_told_otherwise():
    [warning] = rules.scheduling_warnings(
        person=SASUKE, provider_id=SHIZUNE_ID, provider=SHIZUNE, treatment="",
        consents=(refusal(),), conflicts=(),
    )  # fmt: skip

    assert "expect them to refuse Shizune" in warning.message


def test_a_warning_is_stored_as_a_plain_dict():
    warning = SchedulingWarning("staff_victim_conflict", "Read me.", needs_acknowledgement=True)

    assert warning.as_dict() == {
        "code": "staff_victim_conflict", "message": "Read me.", "needs_acknowledgement": True,
    }  # fmt: skip
