"""The program-wide assignment: min-cost flow over the top candidates equals the exact
optimum, respects every buddy's free places, and can put coverage first."""

import random

import numpy as np
import pytest

from matching.engine.assignment import assign_exact, assign_min_cost_flow, total_tenths
from matching.engine.pool import PersonRow, build_pool
from matching.engine.scoring import Candidates, Settings, score_block, top_candidates
from tests.factories import CITIES, INTERESTS, LANGUAGES


def random_pool(seed: int, n_participants: int, n_buddies: int):
    rng = random.Random(seed)

    def person(i, capacity=1, load=0):
        return PersonRow(
            id=i,
            languages=rng.sample(LANGUAGES[:6], rng.randint(1, 2)),
            interests=rng.sample(INTERESTS, rng.randint(1, 4)),
            location=rng.choice(CITIES),
            waiting_days=rng.randint(0, 200),
            capacity=capacity,
            load=load,
        )

    participants = [person(i) for i in range(n_participants)]
    buddies = [person(10_000 + i, rng.randint(1, 3), rng.randint(0, 1)) for i in range(n_buddies)]
    return build_pool(participants, buddies)


def dense(pool, settings):
    block = score_block(pool, settings, np.arange(pool.shape[0]))
    return block.score, block.eligible


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("coverage_first", [False, True])
def test_min_cost_flow_reaches_the_exact_optimum_on_small_programs(seed, coverage_first):
    pool = random_pool(seed, n_participants=40, n_buddies=15)
    settings = Settings.resolve({"language": {"rule": "must"}}, floor=20)
    score, eligible = dense(pool, settings)
    flow = assign_min_cost_flow(
        top_candidates(pool, settings), pool.b_free, coverage_first=coverage_first
    )
    exact = assign_exact(score, eligible, pool.b_free, coverage_first=coverage_first)
    assert total_tenths(score, flow) == total_tenths(score, exact)
    assert (flow >= 0).sum() == (exact >= 0).sum()


def test_no_buddy_gets_more_participants_than_free_places_and_only_eligible_pairs():
    pool = random_pool(7, n_participants=60, n_buddies=10)
    settings = Settings.resolve({"location": {"rule": "must"}})
    _score, eligible = dense(pool, settings)
    assigned = assign_min_cost_flow(top_candidates(pool, settings), pool.b_free)
    rows = np.flatnonzero(assigned >= 0)
    assert eligible[rows, assigned[rows]].all()
    assert (np.bincount(assigned[rows], minlength=len(pool.b_free)) <= pool.b_free).all()


def test_coverage_first_matches_more_people_where_the_highest_total_would_not():
    # p0 scores 90 with buddy A and 10 with buddy B; p1 can only go to A, scoring 20.
    # The highest total (90) leaves p1 out; coverage first matches both (10 + 20).
    candidates = Candidates(
        buddy=np.array([[0, 1], [0, 0]], dtype=np.int32),
        score=np.array([[90, 10], [20, 0]], dtype=np.float32),
        valid=np.array([[True, True], [True, False]]),
    )
    free = np.array([1, 1])
    assert assign_min_cost_flow(candidates, free).tolist() == [0, -1]
    assert assign_min_cost_flow(candidates, free, coverage_first=True).tolist() == [1, 0]


def test_coverage_first_never_matches_fewer_and_max_total_never_scores_less():
    pool = random_pool(11, n_participants=80, n_buddies=20)
    settings = Settings.resolve({}, floor=55)
    score, _eligible = dense(pool, settings)
    candidates = top_candidates(pool, settings)
    best_total = assign_min_cost_flow(candidates, pool.b_free)
    most_people = assign_min_cost_flow(candidates, pool.b_free, coverage_first=True)
    assert (most_people >= 0).sum() >= (best_total >= 0).sum()
    assert total_tenths(score, best_total) >= total_tenths(score, most_people)
