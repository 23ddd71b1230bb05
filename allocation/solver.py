"""Propose a season's allocation with OR-Tools CP-SAT.

Every wish that could be granted is one yes/no choice. The hard rules (units, buffers,
minutes asked, one place at a time, core time, staff pins) are constraints; the priority
rules are objectives maximised one after another, tier by tier in rule order, each
stage's optimum held as a constraint while the next is maximised.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocation.facts import breaks_core_time, can_be_let, collide, need_key, occupied, same_time, tier_key
from allocation.model import Allocation, Need, Pin, Proposal, Round, RoundPremises, Slot
from allocation.outcome import granted_reasons, unmet_wishes
from allocation.rules import PriorityRules
from allocation.summary import summarise
from booking.domain.errors import DomainError

# Keeping last season's slot is worth `continuity_weight` times this, once per slot: with
# the default weight it outweighs the gap between a first and a second wish.
CONTINUITY_UNIT = 100
# Per quarter hour of a hall sport in a hall, on top of its wish's value: half a first
# wish by the default weights, so it tips close calls without overriding ranks.
HALL_SPORT_BONUS = 50
QUARTER = 15
# One worker and a fixed seed: the same round gives the same proposal on every run.
RANDOM_SEED = 20260101


@dataclass(frozen=True)
class _Candidate:
    need: Need
    wish: int
    slot: Slot
    tier: str
    value: int  # this wish's part of its tier's weighted objective


def propose(round: Round, rules: PriorityRules, *, time_limit_s: float = 20.0) -> Proposal:
    """The proposal for a round under the published priority rules."""
    premises = {p.slug: p for p in sorted(round.premises, key=lambda p: p.slug)}
    needs = sorted(round.needs, key=need_key)
    needs_by_key = _index_needs(needs)
    pins = sorted(round.pins, key=lambda pin: (pin.application_id, pin.need, _slot_order(pin.slot)))
    pinned = _pinned_allocations(pins, needs_by_key, premises, rules, round.previous)
    candidates, minutes_left = _candidates(needs, premises, rules, pinned, round.previous)
    chosen = _choose(candidates, minutes_left, premises, rules, time_limit_s)
    allocations = sorted(
        pinned
        + [
            Allocation(
                c.need.application_id,
                c.need.index,
                c.slot,
                c.wish,
                c.tier,
                granted_reasons(c.need, c.wish, c.slot, pinned=False, previous=round.previous),
            )
            for c in chosen
        ],
        key=lambda a: (a.application_id, a.need, _slot_order(a.slot)),
    )
    return Proposal(
        allocations=tuple(allocations),
        unmet=tuple(unmet_wishes(needs, premises, rules, allocations)),
        summary=summarise(round, rules, allocations),
    )


def _slot_order(slot: Slot) -> tuple[int, int, int, str]:
    return slot.weekday, slot.start, slot.end, slot.premises


def _index_needs(needs: Sequence[Need]) -> dict[tuple[int, int], Need]:
    by_key: dict[tuple[int, int], Need] = {}
    for need in needs:
        if need_key(need) in by_key:
            raise DomainError(
                "duplicate_need",
                "Samme gruppe er med to ganger i fordelingen.",
                f"Need {need.index} of application {need.application_id} is in the round twice.",
                application=need.application_id,
                need=need.index,
            )
        by_key[need_key(need)] = need
    return by_key


def _pinned_allocations(
    pins: Sequence[Pin],
    needs_by_key: Mapping[tuple[int, int], Need],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
    previous: frozenset[tuple[str, Slot]],
) -> list[Allocation]:
    """Staff pins as allocations, exactly as staff set them. Pins that cannot all hold
    are refused rather than quietly dropped: staff must decide between them."""
    allocations: list[Allocation] = []
    for pin in pins:
        need = needs_by_key.get((pin.application_id, pin.need))
        if need is None:
            raise DomainError(
                "pin_without_need",
                "En fastsatt tid gjelder en gruppe som ikke er med i fordelingen.",
                f"Pin for need {pin.need} of application {pin.application_id}: no such need in the round.",
                application=pin.application_id,
                need=pin.need,
            )
        if pin.slot.premises not in premises:
            raise DomainError(
                "pin_premises_not_in_round",
                "En fastsatt tid er i et lokale som ikke er med i fordelingen.",
                f"Pin for need {pin.need} of application {pin.application_id} is on premises "
                f"{pin.slot.premises!r}, which is not in the round.",
                application=pin.application_id,
                need=pin.need,
                premises=pin.slot.premises,
            )
        for earlier in allocations:
            if collide(earlier.slot, premises[earlier.slot.premises], pin.slot, premises[pin.slot.premises]) or (
                (earlier.application_id, earlier.need) == need_key(need) and same_time(earlier.slot, pin.slot)
            ):
                raise DomainError(
                    "pins_overlap",
                    "To fastsatte tider overlapper hverandre. Flytt eller fjern den ene.",
                    f"Pins for need {earlier.need} of application {earlier.application_id} and need "
                    f"{pin.need} of application {pin.application_id} overlap.",
                    first={"application": earlier.application_id, "need": earlier.need},
                    second={"application": pin.application_id, "need": pin.need},
                )
        wish = need.wishes.index(pin.slot) if pin.slot in need.wishes else None
        allocations.append(
            Allocation(
                need.application_id,
                need.index,
                pin.slot,
                wish,
                tier_key(need, rules),
                granted_reasons(need, wish, pin.slot, pinned=True, previous=previous),
                pinned=True,
            )
        )
    return allocations


def _candidates(
    needs: Sequence[Need],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
    pinned: Sequence[Allocation],
    previous: frozenset[tuple[str, Slot]],
) -> tuple[list[_Candidate], dict[tuple[int, int], int]]:
    """The wishes that could still be granted once the pins are in place, and the minutes
    each need may still get."""
    pins_by_need: dict[tuple[int, int], list[Allocation]] = {}
    for allocation in pinned:
        pins_by_need.setdefault((allocation.application_id, allocation.need), []).append(allocation)
    candidates = []
    minutes_left = {}
    for need in needs:
        own_pins = pins_by_need.get(need_key(need), [])
        minutes_left[need_key(need)] = left = need.minutes_per_week - sum(pin.slot.minutes for pin in own_pins)
        tier = tier_key(need, rules)
        for wish, slot in enumerate(need.wishes):
            here = premises.get(slot.premises)
            if (
                here is None
                or not can_be_let(slot, here)
                or breaks_core_time(need, slot, rules)
                or slot.minutes > left
                or any(same_time(pin.slot, slot) for pin in own_pins)
                or any(collide(pin.slot, premises[pin.slot.premises], slot, here) for pin in pinned)
            ):
                continue
            candidates.append(_Candidate(need, wish, slot, tier, _value(need, wish, slot, here, rules, previous)))
    return candidates, minutes_left


def _value(
    need: Need, wish: int, slot: Slot, here: RoundPremises, rules: PriorityRules, previous: frozenset[tuple[str, Slot]]
) -> int:
    per_quarter = rules.wish_weight(wish) + rules.participants_weight * need.participants
    if rules.hall_sport_first and need.hall_sport and here.is_hall:
        per_quarter += HALL_SPORT_BONUS
    value = slot.minutes * per_quarter // QUARTER
    if (need.organisation, slot) in previous:
        value += rules.continuity_weight * CONTINUITY_UNIT
    return value


def _choose(
    candidates: Sequence[_Candidate],
    minutes_left: Mapping[tuple[int, int], int],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
    time_limit_s: float,
) -> list[_Candidate]:
    model = cp_model.CpModel()
    granted = [model.new_bool_var(f"grant_{i}") for i in range(len(candidates))]
    _add_hard_rules(model, candidates, granted, minutes_left, premises)
    objectives = _objectives(model, candidates, granted, premises, rules)
    values = _maximise_in_turn(model, objectives, time_limit_s)
    return [c for c, var in zip(candidates, granted) if values[var.index]]


def _add_hard_rules(
    model: cp_model.CpModel,
    candidates: Sequence[_Candidate],
    granted: Sequence[cp_model.IntVar],
    minutes_left: Mapping[tuple[int, int], int],
    premises: Mapping[str, RoundPremises],
) -> None:
    by_unit_day: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
    by_need_day: dict[tuple[tuple[int, int], int], list[tuple[int, int, int]]] = {}
    by_need: dict[tuple[int, int], list[int]] = {}
    for i, c in enumerate(candidates):
        here = premises[c.slot.premises]
        start, end = occupied(c.slot, here)
        for unit in sorted(here.units):
            by_unit_day.setdefault((unit, c.slot.weekday), []).append((start, end, i))
        by_need_day.setdefault((need_key(c.need), c.slot.weekday), []).append((c.slot.start, c.slot.end, i))
        by_need.setdefault(need_key(c.need), []).append(i)
    for spans in [*by_unit_day.values(), *by_need_day.values()]:
        for clique in _overlap_cliques(spans):
            model.add_at_most_one(granted[i] for i in clique)
    for key, members in by_need.items():
        if sum(candidates[i].slot.minutes for i in members) > minutes_left[key]:
            model.add(sum(candidates[i].slot.minutes * granted[i] for i in members) <= minutes_left[key])


def _overlap_cliques(spans: Iterable[tuple[int, int, int]]) -> list[list[int]]:
    """The largest groups of mutually overlapping spans (start, end, id). For intervals
    these are the spans covering some span's start; one "at most one" per group is a far
    tighter model than one "not both" per overlapping pair."""
    ordered = sorted(spans)
    starts = sorted({start for start, _, _ in ordered})
    covering = [[i for start, end, i in ordered if start <= point < end] for point in starts]
    return [
        ids
        for k, ids in enumerate(covering)
        if len(ids) > 1 and not (k + 1 < len(covering) and set(ids) <= set(covering[k + 1]))
    ]


def _objectives(
    model: cp_model.CpModel,
    candidates: Sequence[_Candidate],
    granted: Sequence[cp_model.IntVar],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
) -> list[cp_model.LinearExpr]:
    """The stages, highest tier first: (a) hall-sport applicants with a hall, when hall
    sports go first; (b) applicants with anything, so no applicant gets a second slot
    while another of its tier that could be served has none; (c) needs with anything;
    (d) the weighted value of what is granted."""
    objectives = []
    for tier in rules.tiers:
        members = [i for i, c in enumerate(candidates) if c.tier == tier.key]
        if not members:
            continue
        if rules.hall_sport_first:
            in_halls = [
                i for i in members if candidates[i].need.hall_sport and premises[candidates[i].slot.premises].is_hall
            ]
            objectives.append(_count_served(model, granted, {i: candidates[i].need.organisation for i in in_halls}))
        objectives.append(_count_served(model, granted, {i: candidates[i].need.organisation for i in members}))
        objectives.append(_count_served(model, granted, {i: need_key(candidates[i].need) for i in members}))
        objectives.append(
            cp_model.LinearExpr.weighted_sum([granted[i] for i in members], [candidates[i].value for i in members])
        )
    return objectives


def _count_served(
    model: cp_model.CpModel, granted: Sequence[cp_model.IntVar], group_of: Mapping[int, object]
) -> cp_model.LinearExpr:
    """How many groups get at least one of their candidates."""
    groups: dict[object, list[int]] = {}
    for i, group in group_of.items():
        groups.setdefault(group, []).append(i)
    served = []
    for members in groups.values():
        is_served = model.new_bool_var("")
        model.add_bool_or([granted[i] for i in members]).only_enforce_if(is_served)
        served.append(is_served)
    return cp_model.LinearExpr.sum(served)


def _maximise_in_turn(
    model: cp_model.CpModel, objectives: Sequence[cp_model.LinearExpr], time_limit_s: float
) -> list[int]:
    """Each objective's best value becomes a floor for the ones after it. Every stage
    starts from the previous stage's solution as a hint, which is feasible, so a stage
    that runs out of time still leaves a valid answer."""
    variables = len(model.proto.variables)
    values = [0] * variables  # granting nothing breaks no hard rule
    deadline = time.monotonic() + time_limit_s
    for stage, objective in enumerate(objectives):
        if isinstance(objective, int):  # nothing in this stage can be granted
            continue
        model.clear_hints()
        for index in range(variables):
            model.add_hint(model.get_bool_var_from_proto_index(index), values[index])
        model.maximize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = RANDOM_SEED
        # The LP relaxation with cuts proves these set-packing stages optimal in a fraction of
        # the time the default needs (seconds instead of running out of time).
        solver.parameters.linearization_level = 2
        solver.parameters.max_time_in_seconds = max(0.1, (deadline - time.monotonic()) / (len(objectives) - stage))
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        values = [solver.value(model.get_bool_var_from_proto_index(index)) for index in range(variables)]
        model.add(objective >= solver.value(objective))
    return values
