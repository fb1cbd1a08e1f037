"""JSON schemas of the chain's structured answers (the skill spec schema is the library's)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

PROPOSAL: dict[str, Any] = {
    "type": "object",
    "required": ["name", "description", "gain"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "maxLength": 2000},
        "gain": {"type": "object", "minProperties": 1},
    },
}

REWARD_PLAN: dict[str, Any] = {
    "type": "object",
    "required": ["done_when", "reward_terms"],
    "properties": {
        "done_when": {"type": "string", "minLength": 1},
        "reward_terms": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["signal", "weight"],
                "properties": {
                    "signal": {"type": "string", "minLength": 1},
                    "weight": {"type": "number"},
                    "why": {"type": "string"},
                },
            },
        },
    },
}


@lru_cache(maxsize=1)
def skill_spec_schema() -> dict[str, Any]:
    """The library's skill-spec schema (``flowrl/resources/schemas/skill_spec.schema.json``)."""
    path = Path(__file__).resolve().parents[1] / "resources" / "schemas" / "skill_spec.schema.json"
    schema = json.loads(path.read_text())
    schema.pop("$id", None)  # resolve '#/$defs/...' locally
    return schema


ANALYSIS: dict[str, Any] = {
    "type": "object",
    "required": ["requirements", "consumption", "gain", "reason"],
    "additionalProperties": False,
    "properties": {  # amounts are checked by merging into the spec (check_spec)
        "requirements": {"type": "object"},
        "consumption": {"type": "object"},
        "gain": {"type": "object", "minProperties": 1},
        "reason": {"type": "string"},
    },
}
