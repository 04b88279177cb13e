"""The program templates of seed 002 (``Program Template Standardization``).

Used by the data migration that creates the four programs; kept as data so a
later migration can compare against it.
"""

_STATES = ["active", "completed", "dropped"]

PROGRAM_TEMPLATES = [
    {
        "program_type": "buddy",
        "name": "Buddy Program",
        "description": "Peer support connecting participants with buddies for social integration.",
        "roles": [
            {"role": "participant", "csr_role": "beneficiary"},
            {"role": "buddy", "csr_role": "volunteer"},
        ],
        "enrollment_states": _STATES,
        "supports_matching": True,
        "activity_types": ["event", "skill_session", "checkin", "feedback"],
        "metrics_tracked": [
            "match_count",
            "events_attended",
            "checkins_completed",
            "skills_shared",
            "milestones_reached",
        ],
        "contributes_to_vis": True,
        "vis_components": {
            "weighted_hours": True,
            "quality_score": True,
            "outcome_lift": True,
            "placement_impact": False,
        },
        "contributes_to_sroi": True,
        "sroi_dimensions": {
            "integration_score": True,
            "language_proficiency": True,
            "job_readiness": True,
        },
    },
    {
        "program_type": "mentorship",
        "name": "Mentors for Ukraine",
        "description": "One-to-one mentoring of newcomers by professionals.",
        "roles": [
            {"role": "mentee", "csr_role": "beneficiary"},
            {"role": "mentor", "csr_role": "volunteer"},
        ],
        "enrollment_states": _STATES,
        "supports_matching": True,
        "activity_types": ["session", "feedback"],
        "metrics_tracked": ["match_count", "sessions_completed"],
        "contributes_to_vis": True,
        "vis_components": {"weighted_hours": True, "quality_score": True},
        "contributes_to_sroi": True,
        "sroi_dimensions": {"job_readiness": True},
    },
    {
        "program_type": "language",
        "name": "Language for Ukraine",
        "description": "Language practice sessions between learners and tutors.",
        "roles": [
            {"role": "learner", "csr_role": "beneficiary"},
            {"role": "tutor", "csr_role": "volunteer"},
        ],
        "enrollment_states": _STATES,
        "supports_matching": True,
        "activity_types": ["session", "assessment"],
        "metrics_tracked": ["sessions_completed", "cefr_level"],
        "contributes_to_vis": True,
        "vis_components": {"weighted_hours": True, "quality_score": True},
        "contributes_to_sroi": True,
        "sroi_dimensions": {"language_proficiency": True},
    },
    {
        "program_type": "upskilling",
        "name": "Upskilling",
        "description": "Courses and credentials for job readiness.",
        "roles": [{"role": "learner", "csr_role": "beneficiary"}],
        "enrollment_states": _STATES,
        "supports_matching": False,
        "activity_types": ["course", "progress"],
        "metrics_tracked": ["courses_completed", "credentials"],
        "contributes_to_vis": False,
        "vis_components": {"weighted_hours": True},
        "contributes_to_sroi": True,
        "sroi_dimensions": {"job_readiness": True},
    },
]
