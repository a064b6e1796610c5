"""What the housing engine takes and gives: plain dataclasses, no Django.

The people and beds are described in the rule book's own terms
(``rules.Resident`` and ``rules.Place``), so the engine, a manual move and the
alert board judge a placement by the same rules.  The mode of a run follows
from the instance:

- cold start: nobody has a ``current_bed``;
- daily delta: the housed keep their ``current_bed`` (moving them is priced,
  not banned), new bookings have none, released people are simply absent and
  reclassified people carry their new facts;
- closure: the closing unit's or facility's places are ``out_of_service``, so
  everyone in them must move;
- over capacity: more people than lawful beds; the rest come back unplaced,
  each with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cellblock.housing import rules


@dataclass(frozen=True)
class Instance:
    # Every bed the engine may use or must empty; ``place.bed`` is its key.
    places: tuple[rules.Place, ...]
    # Everyone to house; ``resident.current_bed`` names their bed now (a ``place.bed``).
    residents: tuple[rules.Resident, ...]
    separations: tuple[rules.Separation, ...] = ()


# ``progress(stage, fraction)``: the stage in words ("bound", "search", "explain") and
# how far the whole run is, 0.0 to 1.0.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Options:
    seed: int = 0
    # Seconds of search at most; the answer then carries its proven bound and gap.
    time_limit: float = 10.0
    # Stop as soon as the gap is proven at or below this (0.0: prove optimality).
    relative_gap: float = 0.0
    # Alternatives listed per person in the explanation.
    alternatives: int = 3
    progress: Progress | None = None


@dataclass(frozen=True)
class Alternative:
    """A bed this person did not get, and why it lost."""

    bed: str
    # Its price for this person, when lawful; None when a hard rule rules it out.
    cost: int | None
    why_not: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    person: str
    bed: str | None
    # This person's share of the objective (their soft violations, or the unplaced price).
    cost: int
    # Why this bed: the hard rules it satisfies that mattered for this person, and the
    # soft rules it pays for ("no move", "shares with 1", "5 min to medical").
    reasons: tuple[str, ...]
    alternatives: tuple[Alternative, ...] = ()
    # Set when ``bed`` is None: why no lawful bed was left for them.
    unplaced_reason: str = ""


@dataclass(frozen=True)
class Solution:
    # Resident key -> bed key (``place.bed``).
    assignment: Mapping[str, str]
    # Resident key -> the reason no lawful bed was found.
    unplaced: Mapping[str, str]
    explanations: Mapping[str, Explanation]
    # Sum of rules.price over everyone's final placement plus COST_UNPLACED per unplaced.
    objective: int
    # A proven lower bound on the objective of any lawful solution of the instance.
    lower_bound: int
    # (objective - lower_bound) / max(objective, 1); 0.0 means proven optimal.
    gap: float
    # "optimal" (gap 0 proven) or "feasible".
    status: str
    seconds: float
    # Counts and timings: people, beds, moves, unplaced, seconds to first solution ...
    stats: Mapping[str, float | int] = field(default_factory=dict)

    @property
    def moves(self) -> int:
        return int(self.stats.get("moves", 0))
