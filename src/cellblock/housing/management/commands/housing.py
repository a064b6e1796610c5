"""``cellblock housing solve``, ``apply PROPOSAL_ID`` and ``show PROPOSAL_ID``.

``solve`` runs the housing engine over a facility (with a progress bar on
stderr) and stores its plan as a proposal; a supervisor reviews it with
``show`` (or on the bed board) and makes the moves with ``apply``, each one
judged by the rule book and audited as theirs.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cellblock.core.errors import DomainError
from cellblock.core.progress import Tracker, TrackerFactory, bars
from cellblock.exchange.management.options import facility_by_code, user_by_name
from cellblock.facilities.models import Facility, HousingUnit
from cellblock.housing.models import HousingProposal, ProposalMode, ProposedMove
from cellblock.housing.proposals import proposal_apply, proposal_create

SUMMARY = (
    "Proposal {id} ({mode}, {status}) for {facility}: objective {objective}, "
    "lower bound {bound}, gap {gap:.2%} ({solver}); {moves} moves, {unplaced} unplaced."
)
APPLIED = "Applied proposal {id}: {moved} moved, {skipped} skipped, {unplaced} unplaced."
NO_PROPOSAL = "No housing proposal {id}."
NO_UNIT = "{facility} has no housing unit {code!r}."
AMBIGUOUS_UNIT = "{facility} has several units {code!r}: name it as ZONE/UNIT."
AS_NEEDED = "Name the supervisor applying the moves: --as USERNAME."


class EngineBar:
    """The engine's ``progress(stage, fraction)`` as one bar per stage, in percent of the run."""

    def __init__(self, factory: TrackerFactory) -> None:
        self.factory = factory
        self.stage = ""
        self.bar: Tracker | None = None
        self.done = 0

    def __call__(self, stage: str, fraction: float) -> None:
        percent = max(0, min(100, int(fraction * 100)))
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = self.factory(f"% {stage}", 100)
            self.bar.advance(percent)
        else:
            self.bar.advance(percent - self.done)
        self.done = max(self.done, percent)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _unit(facility: Facility, code: str) -> HousingUnit | Facility:
    """A unit by code (ZONE/UNIT when the code repeats), or the facility by its own code."""
    if code.lower() == facility.code.lower():
        return facility
    zone, _, unit = code.rpartition("/")
    units = HousingUnit.objects.select_related("zone").filter(
        zone__facility=facility, code__iexact=unit
    )
    if zone:
        units = units.filter(zone__code__iexact=zone)
    found = list(units[:2])
    if not found:
        raise CommandError(NO_UNIT.format(facility=facility.name, code=code))
    if len(found) > 1:
        raise CommandError(AMBIGUOUS_UNIT.format(facility=facility.name, code=code))
    return found[0]


def _proposal(key: str) -> HousingProposal:
    try:
        public_id = uuid.UUID(key)
    except ValueError:
        raise CommandError(NO_PROPOSAL.format(id=key)) from None
    proposal = (
        HousingProposal.objects.select_related("facility").filter(public_id=public_id).first()
    )
    if proposal is None:
        raise CommandError(NO_PROPOSAL.format(id=key))
    return proposal


def summary(proposal: HousingProposal) -> str:
    stats = proposal.stats
    return SUMMARY.format(
        id=proposal.public_id, mode=proposal.mode, status=proposal.status,
        facility=proposal.facility.name, objective=proposal.objective,
        bound=proposal.lower_bound, gap=proposal.gap, solver=proposal.solver_status,
        moves=stats.get("moves", 0), unplaced=stats.get("unplaced", 0),
    )  # fmt: skip


def _bed(move: ProposedMove, which: str) -> str:
    bed = move.from_bed if which == "from" else move.to_bed
    return f"{bed.cell.unit.name} / {bed.cell.code} {bed.code}" if bed else "no bed"


def move_line(move: ProposedMove) -> str:
    person = move.booking.person
    who = f"{move.booking.booking_number} {person.given_name} {person.family_name}"
    if move.to_bed is None:
        reason = move.explanation.get("unplaced_reason") or "no lawful bed"
        line = f"{who}: stays unplaced ({_bed(move, 'from')}): {reason}"
    else:
        line = f"{who}: {_bed(move, 'from')} -> {_bed(move, 'to')} (cost {move.cost})"
    return f"{line} [{move.outcome}]" if move.outcome else line


class Command(BaseCommand):
    help = "Run the housing engine into a proposal, show a proposal, or apply it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        solve = sub.add_parser("solve", help="Run the engine over a facility; store a proposal.")
        solve.add_argument("--facility", required=True, metavar="CODE")
        solve.add_argument(
            "--mode", choices=ProposalMode.values, default=ProposalMode.DAILY,
            help="cold_start: place everyone afresh; daily: moves priced; closure: empty units.",
        )  # fmt: skip
        solve.add_argument(
            "--close", nargs="+", default=[], metavar="UNITCODE",
            help="Closure: the units to empty (ZONE/UNIT if a code repeats; the facility's "
            "own code closes it all).",
        )  # fmt: skip
        solve.add_argument("--seed", type=int, default=0)
        solve.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS")
        solve.add_argument(
            "--as", dest="as_user", metavar="USERNAME",
            help="Record this user as running it; otherwise the system.",
        )  # fmt: skip
        apply = sub.add_parser("apply", help="Make a proposal's moves, as a supervisor.")
        apply.add_argument("proposal", metavar="PROPOSAL_ID")
        apply.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        show = sub.add_parser("show", help="Print a proposal and its moves.")
        show.add_argument("proposal", metavar="PROPOSAL_ID")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verb"] == "solve":
                self._solve(options)
            elif options["verb"] == "apply":
                self._apply(options["proposal"], options["as_user"])
            else:
                self._show(options["proposal"])
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _solve(self, options: dict[str, Any]) -> None:
        facility = facility_by_code(options["facility"])
        actor = user_by_name(options["as_user"])
        closing = [_unit(facility, code) for code in options["close"]]
        bar = EngineBar(bars(self.stderr))
        try:
            proposal = proposal_create(
                actor=actor, facility=facility, mode=options["mode"], closing=closing,
                seed=options["seed"], time_limit=options["time_limit"], progress=bar,
            )  # fmt: skip
        finally:
            bar.close()
        self.stdout.write(summary(proposal))

    def _apply(self, key: str, as_user: str | None) -> None:
        actor = user_by_name(as_user)
        if actor is None:
            raise CommandError(AS_NEEDED)
        proposal = proposal_apply(actor=actor, proposal=_proposal(key))
        outcomes = list(proposal.moves.values_list("to_bed_id", "outcome"))
        moved = sum(1 for bed, outcome in outcomes if bed is not None and outcome == "moved")
        unplaced = sum(1 for bed, _ in outcomes if bed is None)
        self.stdout.write(
            APPLIED.format(
                id=proposal.public_id, moved=moved, unplaced=unplaced,
                skipped=len(outcomes) - moved - unplaced,
            )
        )  # fmt: skip

    def _show(self, key: str) -> None:
        proposal = _proposal(key)
        self.stdout.write(summary(proposal))
        for move in proposal.moves.select_related(
            "booking__person", "from_bed__cell__unit", "to_bed__cell__unit"
        ):
            self.stdout.write(f"  {move_line(move)}")
