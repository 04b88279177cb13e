"""Scores, parts and reasons of pairs (the engine on arrays; no database)."""

import numpy as np
import pytest

from matching.engine import criteria as registry
from matching.engine.criteria import Criterion, register
from matching.engine.pool import PersonRow, build_pool
from matching.engine.scoring import Settings, score_block, top_candidates, top_for_participant


def participant(i=1, **fields):
    defaults = {"languages": ["uk"], "interests": ["chess"], "location": "Berlin"}
    return PersonRow(id=i, **{**defaults, **fields})


def buddy(i=100, **fields):
    defaults = {"languages": ["de"], "interests": ["hiking"], "location": "Hamburg"}
    return PersonRow(id=i, **{**defaults, **fields})


def only(**rules):
    """Settings where only the named criteria count: ``language="prefer"``…"""
    off = {name: {"rule": "off"} for name in registry.REGISTRY}
    return Settings.resolve(off | {k: {"rule": v, "weight": 10} for k, v in rules.items()})


def test_reasons_say_in_words_why_a_pair_fits():
    pool = build_pool(
        [participant(languages=["uk", "en"], interests=["cooking", "chess"], waiting_days=41)],
        [buddy(languages=["uk"], interests=["chess", "cooking"], location="Berlin", capacity=2,
               load=1)],
    )  # fmt: skip
    (best,) = top_for_participant(pool, Settings.resolve({}), 0)
    assert best["reasons"] == [
        "both speak Ukrainian",
        "2 shared interests: chess, cooking",
        "same city: Berlin",
        "waiting 41 days",
        "buddy has 1 free place",
    ]


def test_a_shared_second_language_is_named_and_counts_less_than_the_preferred_one():
    pool = build_pool(
        [participant(languages=["uk", "en"])],
        [buddy(100, languages=["uk"]), buddy(101, languages=["en"])],
    )
    preferred, second = top_for_participant(pool, only(language="prefer"), 0)
    assert preferred["score"] == 100 and second["score"] == 50
    assert second["reasons"] == ["both speak English (a second language)"]


def test_the_score_is_the_sum_of_its_parts_and_stays_within_0_and_100():
    pool = build_pool(
        [participant(i, waiting_days=i * 20, interests=["chess", "yoga"][: i % 2 + 1])
         for i in range(1, 6)],
        [buddy(100 + i, languages=["uk", "de"][i % 2:], capacity=2, load=i % 2) for i in range(6)],
    )  # fmt: skip
    for i in range(5):
        for candidate in top_for_participant(pool, Settings.resolve({}), i, n=6):
            assert 0 <= candidate["score"] <= 100
            assert sum(candidate["parts"].values()) == pytest.approx(candidate["score"], abs=0.3)


def test_weights_share_the_100_points():
    pool = build_pool([participant()], [buddy(languages=["uk"], location="Berlin")])
    settings = Settings.resolve(
        {name: {"rule": "off"} for name in registry.REGISTRY}
        | {
            "language": {"rule": "prefer", "weight": 30},
            "location": {"rule": "prefer", "weight": 10},
        }
    )
    (best,) = top_for_participant(pool, settings, 0)
    assert best["parts"] == {"language": 75.0, "location": 25.0}


def test_a_must_rule_rules_pairs_out_and_an_off_criterion_gives_nothing():
    pool = build_pool([participant()], [buddy(100), buddy(101, location="Berlin")])
    block = score_block(pool, only(location="must"), np.array([0]))
    assert block.eligible.tolist() == [[False, True]]
    assert block.score.tolist() == [[100, 100]]  # no prefer criterion: every eligible pair 100


def test_pairs_below_the_floor_are_not_eligible():
    pool = build_pool([participant()], [buddy(100), buddy(101, location="Berlin")])
    settings = Settings.resolve(
        {name: {"rule": "off"} for name in registry.REGISTRY} | {"location": {"rule": "prefer"}},
        floor=50,
    )
    assert score_block(pool, settings, np.array([0])).eligible.tolist() == [[False, True]]


def test_hard_rule_pairs_are_never_eligible():
    pool = build_pool(
        [participant(1), participant(2)],
        [buddy(100), buddy(101)],
        excluded={"violation": [(1, 100)], "dismissed": [(2, 101)], "earlier_pair": [(9, 100)]},
    )
    block = score_block(pool, Settings.resolve({}), np.array([0, 1]))
    assert block.eligible.tolist() == [[False, True], [True, False]]


def test_buddies_without_a_free_place_are_left_out_and_counted():
    pool = build_pool([participant()], [buddy(100, capacity=2, load=2), buddy(101)])
    assert pool.buddy_ids.tolist() == [101]
    assert pool.buddies_full == 1


def test_top_candidates_are_the_best_eligible_buddies_best_first():
    buddies = [buddy(100 + i, interests=["chess", "yoga", "hiking"][: i % 3 + 1]) for i in range(9)]
    pool = build_pool([participant(interests=["chess", "yoga"])], buddies)
    settings = only(interests="prefer")
    candidates = top_candidates(pool, settings, k=4)
    dense = score_block(pool, settings, np.array([0])).score[0]
    assert candidates.score[0].tolist() == sorted(dense, reverse=True)[:4]


def test_a_new_criterion_is_one_registration_away(monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))
    register(
        Criterion(
            name="same_id_parity",
            label="same parity",
            fraction=lambda pool, p, b: (
                pool.participant_ids[p] % 2 == pool.buddy_ids[b] % 2
            ).astype(np.float32),
            reasons=lambda pool, p, b: ["same parity"],
        )
    )
    monkeypatch.setattr("matching.engine.scoring.REGISTRY", registry.REGISTRY)
    pool = build_pool([participant(1)], [buddy(100), buddy(101)])
    settings = Settings.resolve(
        {name: {"rule": "off"} for name in registry.REGISTRY} | {"same_id_parity": {"rule": "must"}}
    )
    (best,) = top_for_participant(pool, settings, 0)
    assert int(pool.buddy_ids[best["buddy_index"]]) == 101
    assert best["reasons"] == ["same parity"]


def test_more_than_64_interests_still_score_and_name_the_shared_ones():
    many = [f"interest-{i}" for i in range(70)]
    pool = build_pool(
        [participant(interests=[many[0], many[69]])],
        [buddy(100, interests=many[1:]), buddy(101, interests=many[1:3])],
    )
    assert pool.p_interest.ndim == 2  # words of 64 bits
    best, other = top_for_participant(pool, only(interests="prefer"), 0)
    assert best["reasons"] == ["1 shared interest: interest-69"]
    assert other["score"] == 0
