"""PREA risk screening (28 CFR 115.41): the criteria and how they give risk flags.

Pure data and arithmetic, no Django.  115.41(d) lists ten criteria for the
risk of being sexually victimised and 115.41(e) three for the risk of being
sexually abusive; the rule does not say how many make a "high" risk, so the
thresholds below are cellblock's, published in docs/classification.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# 115.41(d)(1)-(10), in the order of the regulation.
VICTIM_CRITERIA: dict[str, str] = {
    "disability": "Mental, physical or developmental disability",
    "age": "Age (young or elderly)",
    "physical_build": "Slight physical build",
    "first_incarceration": "Not previously incarcerated",
    "nonviolent_history": "Criminal history exclusively non-violent",
    "prior_sex_offence": "Prior conviction for a sex offence against an adult or child",
    "lgbti_or_nonconforming": "Is or is perceived to be LGBTI or gender non-conforming",
    "prior_victimisation": "Previously experienced sexual victimisation",
    "own_perception": "Own perception of vulnerability",
    "civil_immigration": "Detained solely for civil immigration purposes",
}

# 115.41(e).
ABUSER_CRITERIA: dict[str, str] = {
    "prior_sexual_abuse": "Prior acts of sexual abuse",
    "prior_violent_convictions": "Prior convictions for violent offences",
    "institutional_violence": "History of institutional violence or sexual abuse",
}

# A single one of these makes the risk high on its own.
DECISIVE_VICTIM = frozenset({"prior_victimisation"})
DECISIVE_ABUSER = frozenset({"prior_sexual_abuse"})
# Otherwise, this many criteria make it high.
VICTIM_THRESHOLD = 3
ABUSER_THRESHOLD = 2


class ScreeningError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class PreaResult:
    victim_score: int
    abuser_score: int
    victim_risk: bool
    abuser_risk: bool


def screen(answers: Mapping[str, object]) -> PreaResult:
    """Every criterion answered true or false; the risks follow from the thresholds."""
    errors: dict[str, list[str]] = {}
    known = VICTIM_CRITERIA.keys() | ABUSER_CRITERIA.keys()
    for code in sorted(set(answers) - known):
        errors[f"answers.{code}"] = ["is not a PREA screening criterion."]
    for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]:
        if not isinstance(answers.get(code), bool):
            errors[f"answers.{code}"] = ["must be answered yes (true) or no (false)."]
    if errors:
        raise ScreeningError(errors)
    victim = {code for code in VICTIM_CRITERIA if answers[code]}
    abuser = {code for code in ABUSER_CRITERIA if answers[code]}
    return PreaResult(
        victim_score=len(victim),
        abuser_score=len(abuser),
        victim_risk=bool(victim & DECISIVE_VICTIM) or len(victim) >= VICTIM_THRESHOLD,
        abuser_risk=bool(abuser & DECISIVE_ABUSER) or len(abuser) >= ABUSER_THRESHOLD,
    )
