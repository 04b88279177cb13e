"""Why a waiting participant got no proposal: counts per rule, the situation, and the
relaxation that would help (the engine on arrays; no database)."""

import numpy as np

from matching.engine.explain import why_not_matched
from matching.engine.pool import PersonRow, build_pool
from matching.engine.scoring import Settings


def dari_speaker():
    return PersonRow(1, languages=["prs", "en"], interests=["chess"], location="Berlin")


def german_buddies(n, **fields):
    return [PersonRow(100 + i, languages=["de"], **fields) for i in range(n)]


def test_a_must_rule_nobody_passes_is_named_with_the_number_it_excluded():
    pool = build_pool([dari_speaker()], german_buddies(212))
    (why,) = why_not_matched(pool, Settings.resolve({"language": {"rule": "must"}}), np.array([0]))
    assert why["code"] == "no_candidates"
    assert "no buddy speaks Dari: 212 excluded by the language must-rule" in why["text"]
    assert why["excluded"] == {"language": 212}


def test_the_relaxation_that_would_help_is_offered_with_the_candidates_it_adds():
    buddies = german_buddies(8) + [PersonRow(200 + i, languages=["de", "en"]) for i in range(4)]
    pool = build_pool([dari_speaker()], buddies)
    (why,) = why_not_matched(pool, Settings.resolve({"language": {"rule": "must"}}), np.array([0]))
    assert {"text": "allowing a shared second language adds 4 candidates", "adds": 4} in why[
        "relaxations"
    ]
    assert {
        "text": "turning the language rule into a preference adds 12 candidates",
        "adds": 12,
    } in why["relaxations"]


def test_candidates_below_the_floor_are_reported_with_the_floor_that_would_let_them_in():
    pool = build_pool([dari_speaker()], german_buddies(3))
    settings = Settings.resolve({}, floor=60)
    (why,) = why_not_matched(pool, settings, np.array([0]))
    assert why["code"] == "below_floor"
    assert why["text"].startswith("3 candidates score below the floor of 60")
    assert why["relaxations"][0]["text"].startswith("lowering the score floor to ")


def test_suitable_buddies_taken_by_higher_scoring_pairs_are_said_so():
    pool = build_pool([dari_speaker()], german_buddies(2))
    (why,) = why_not_matched(pool, Settings.resolve({}), np.array([0]))
    assert why["code"] == "taken"
    assert why["text"].startswith(
        "all 2 suitable buddies were given to participants with higher-scoring pairs"
    )


def test_all_buddies_at_capacity():
    pool = build_pool([dari_speaker()], german_buddies(3, capacity=1, load=1))
    (why,) = why_not_matched(pool, Settings.resolve({}), np.array([0]))
    assert (why["code"], why["text"]) == ("all_at_capacity", "all 3 buddies are at capacity")


def test_hard_rules_are_counted_by_name():
    pool = build_pool(
        [dari_speaker()],
        german_buddies(3),
        excluded={"violation": [(1, 100)], "dismissed": [(1, 101), (1, 102)]},
    )
    (why,) = why_not_matched(pool, Settings.resolve({}), np.array([0]))
    assert why["excluded"] == {"violation": 1, "dismissed": 2}
    assert "2 excluded: a coordinator dismissed the suggestion" in why["text"]
