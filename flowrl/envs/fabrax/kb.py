"""The Fabrax knowledge base, generated from the game's own tables.

``build_knowledge_base()`` starts from the Craftax-Classic KB (Classic's rules hold in
Fabrax unchanged) and adds Fabrax's mining, recipes, placements, quenching, melee damage and
one basic skill per Fabrax achievement (spec + code). ``python -m flowrl.envs.fabrax.kb``
writes (Classic's skill files copied) ``flowrl/resources/fabrax/`` (``knowledge_base.json`` and ``skills/*.py``); a test keeps
the files equal to the generator, so the KB cannot drift from the game.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from flowrl.envs.fabrax.constants import MINEABLE, MINED_BLOCK_BECOMES, PLACEABLE_ON, BlockType
from flowrl.envs.fabrax.recipes import RECIPES, STATIONS, Recipe

STATION_KEYS = {
    "table": "crafting_table",
    "furnace": "furnace",
    "anvil": "anvil",
    "kiln": "kiln",
    "composter": "composter",
    "alchemy_bench": "alchemy_bench",
}
TIER_TOOLS = {0: {}, 1: {"wood_pickaxe": 1}, 2: {"stone_pickaxe": 1}}

_HEADER = '''"""{title}: {summary}"""


def block_distance(blocks, block_type):
    """Manhattan distance to the nearest visible block of a type (60 when none is in view)."""
    return jnp.abs(blocks[block_type, :, 0]).sum()


def approach_bonus(closest_blocks, closest_blocks_prev, block_type):
    """+1 for a step closer to the nearest block of a type, -1 for a step away, 0 if unseen."""
    now = block_distance(closest_blocks, block_type)
    before = block_distance(closest_blocks_prev, block_type)
    seen = jnp.logical_and(now < 60, before < 60)
    return jnp.where(seen, jnp.clip(before - now, -1, 1), 0).astype(jnp.float32)


def is_near(blocks, block_type):
    """True when a block of a type is in one of the 8 cells around the player."""
    return jnp.max(jnp.abs(blocks[block_type, :, 0])) <= 1


def task_is_done(
    inventory,
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics,
    player_intrinsics_diff,
    achievements,
    n,
):
    return {done}


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    gained = {gained}
    approach = {approach}
    return gained + 0.05 * approach + health_penalty


def task_network_number():
    return 0
'''


def _amount(k: int) -> str:
    return "lambda n: n" if k == 1 else f"lambda n: {k}*n"


def _title(name: str) -> str:
    return name.replace("_", " ").title()


Toward = BlockType | str | None
"""What a skill's shaping walks toward: a block type, a ``Mob`` member name, or nothing."""


def _approach(toward: Toward) -> str:
    if toward is None:
        return "jnp.zeros((), jnp.float32)"
    row = f"Mob.{toward}" if isinstance(toward, str) else f"BlockType.{toward.name}"
    return f"approach_bonus(closest_blocks, closest_blocks_prev, {row}.value)"


def _code(title: str, summary: str, done: str, gained: str, toward: Toward) -> str:
    return _HEADER.format(
        title=title, summary=summary, done=done, gained=gained, approach=_approach(toward)
    )


def _inventory_skill(item: str, toward: Toward) -> tuple[str, str]:
    done = f"inventory.{item} >= n"
    # potential-based in the count: spending an item costs what gathering it paid
    gained = f"inventory_diff.{item}.astype(jnp.float32)"
    return done, gained


def _mining_skills() -> list[tuple[dict[str, Any], str]]:
    out = []
    for block, (item, _achievement, tier) in MINEABLE.items():
        name = f"Collect {_title(item)}"
        tool = next(iter(TIER_TOOLS[tier]), None)
        how = f"with a {tool.replace('_', ' ')}" if tool else "(no tool needed)"
        spec = {
            "name": name,
            "description": f"Face {block.name.lower()} and press DO {how}; yields one {item}.",
            "requirements": {tool: "lambda n: 1"} if tool else {},
            "consumption": {},
            "gain": {item: "lambda n: n"},
            "ephemeral": False,
        }
        done, gained = _inventory_skill(item, block)
        out.append((spec, _code(name, spec["description"], done, gained, block)))  # type: ignore[arg-type]  # spec values are str here; the dict is typed loosely
    spec = {
        "name": "Collect Leather",
        "description": "Kill a cow (DO on it until it dies); each cow drops one leather.",
        "requirements": {},
        "consumption": {},
        "gain": {"leather": "lambda n: n"},
        "ephemeral": False,
    }
    done, gained = _inventory_skill("leather", "COW")
    out.append((spec, _code(spec["name"], spec["description"], done, gained, "COW")))  # type: ignore[arg-type]  # spec values are str here; the dict is typed loosely
    return out


def _requirements(recipe: Recipe) -> dict[str, str]:
    req = {item: _amount(k) for item, k in recipe.cost.items()}
    req.update({STATION_KEYS[s]: "lambda n: 1" for s in recipe.stations if s in STATION_KEYS})
    req.update({item: "lambda n: 1" for item in recipe.needs})
    if recipe.needs_any:
        req[recipe.needs_any[-1]] = "lambda n: 1"  # the cheaper alternative (bronze)
    return req


def _recipe_skill(recipe: Recipe) -> tuple[dict[str, Any], str]:
    name = _title(recipe.action.name)
    where = [s.replace("_", " ") for s in recipe.stations]
    near = f"Next to {' and '.join(where)}, " if where else ""
    inputs = ", ".join(f"{k} {i}" for i, k in recipe.cost.items()) or "nothing"
    station_blocks = [STATIONS[s] for s in recipe.stations]
    toward = station_blocks[0] if station_blocks else None
    spec: dict[str, Any] = {
        "name": name,
        "requirements": _requirements(recipe),
        "consumption": {item: _amount(k) for item, k in recipe.cost.items()},
        "ephemeral": False,
    }
    if recipe.places is not None and recipe.places.name.lower() in STATION_KEYS.values():
        key = recipe.places.name.lower()
        spec["description"] = (
            f"Place a {key.replace('_', ' ')} (uses {inputs}) next to the player; "
            "its recipes need it within the 8 surrounding cells."
        )
        spec["gain"] = {key: "lambda n: 1"}
        spec["ephemeral"] = True
        done = f"is_near(closest_blocks, BlockType.{recipe.places.name}.value)"
        gained = (
            f"jnp.logical_and(is_near(closest_blocks, BlockType.{recipe.places.name}.value), "
            f"jnp.logical_not(is_near(closest_blocks_prev, BlockType.{recipe.places.name}.value)))"
            ".astype(jnp.float32)"
        )
        toward = None
    elif recipe.places is not None or recipe.hardens_edge:
        what = (
            f"place a {recipe.places.name.lower().replace('_', ' ')} (uses {inputs})"
            if recipe.places is not None
            else "quench a bronze or steel pickaxe in water (water within the 8 cells)"
        )
        spec["description"] = f"{near}{what[0].upper()}{what[1:]}."
        key = f"achievement:{recipe.achievement.name}"
        spec["gain"] = {key: "lambda n: 1"}
        ach = f"Achievement.{recipe.achievement.name}.value"
        done = f"achievements[{ach}]"
        gained = f"achievements_diff[{ach}].astype(jnp.float32)"
        toward = BlockType.WATER if recipe.hardens_edge else None
    else:
        ((item, k),) = recipe.gain.items()
        kept = f" (keeps {', '.join(recipe.needs)})" if recipe.needs else ""
        spec["description"] = f"{near}make {k} {item} from {inputs}{kept}."
        spec["description"] = spec["description"][0].upper() + spec["description"][1:]
        spec["gain"] = {item: "lambda n: n"}
        done, gained = _inventory_skill(item, toward)
    return spec, _code(name, spec["description"], done, gained, toward)


def _classic_kb() -> dict[str, Any]:
    text = resources.files("flowrl.resources").joinpath("craftax_classic/knowledge_base.json")
    return json.loads(text.read_text())


def fabrax_skills() -> list[tuple[dict[str, Any], str]]:
    """(spec, code) of the Fabrax basic skills in curriculum order."""
    placing = [
        r
        for r in RECIPES
        if r.places is not None and r.places.name.lower() in STATION_KEYS.values()
    ]
    rest = [r for r in RECIPES if r not in placing]
    return _mining_skills() + [_recipe_skill(r) for r in placing + rest]


def skill_file(name: str) -> str:
    return name.lower().replace(" ", "_") + ".py"


def build_knowledge_base() -> dict[str, Any]:
    kb = _classic_kb()
    kb.update(
        game="Fabrax",
        env_names=["Fabrax-Symbolic-v1"],
        source="flowrl.envs.fabrax (constants.MINEABLE, recipes.RECIPES) over craftax 1.6.1 "
        "Craftax-Classic; generated by flowrl.envs.fabrax.kb",
    )
    kb["notes"] = [
        *kb["notes"],
        "Fabrax: forged pickaxes mine by tier (bronze like stone, steel like iron); "
        "bronze sword deals 4, steel sword 6, a hardened edge +1.",
        "Fabrax: making steel bars needs bellows in the inventory (kept, not consumed).",
        "Fabrax: killing a cow also drops 1 leather.",
    ]
    kb["tool_tiers"]["pickaxe"] = [
        "wood_pickaxe",
        "stone_pickaxe",
        "bronze_pickaxe",
        "iron_pickaxe",
        "steel_pickaxe",
    ]
    kb["tool_tiers"]["sword"] = [
        "wood_sword",
        "stone_sword",
        "bronze_sword",
        "iron_sword",
        "steel_sword",
    ]
    kb["melee_damage"].update({"bronze_sword": 4, "steel_sword": 6})
    onto = [b.name for b in PLACEABLE_ON]
    for block, (item, achievement, tier) in MINEABLE.items():
        kb["mining"].append(
            {
                "block": block.name,
                "requires": dict(TIER_TOOLS[tier]),
                "yields": {item: 1},
                "leaves": MINED_BLOCK_BECOMES.name,
                "achievement": achievement.name,
            }
        )
    for recipe in RECIPES:
        if recipe.places is not None:
            kb["placements"].append(
                {
                    "action": recipe.action.name,
                    "requires": dict(recipe.cost),
                    "places": recipe.places.name,
                    "onto": onto,
                    "achievement": recipe.achievement.name,
                }
            )
        elif recipe.hardens_edge:
            kb["interactions"].append(
                {
                    "name": "harden edge",
                    "action": recipe.action.name,
                    "facing": None,
                    "effect": {},
                    "achievement": recipe.achievement.name,
                    "requires": "water within the 8 cells and a bronze or steel pickaxe",
                }
            )
        else:
            kb["recipes"].append(
                {
                    "action": recipe.action.name,
                    "requires": dict(recipe.cost),
                    "near": [STATIONS[s].name for s in recipe.stations],
                    "yields": dict(recipe.gain),
                    "achievement": recipe.achievement.name,
                }
            )
    for spec, _code_text in fabrax_skills():
        kb["skills"].append({**spec, "code": skill_file(spec["name"])})
    return kb


def resource_files() -> dict[str, str]:
    """Relative path under ``flowrl/resources/fabrax`` -> text."""
    kb = build_knowledge_base()
    files = {"knowledge_base.json": json.dumps(kb, indent=1) + "\n"}
    classic = resources.files("flowrl.resources").joinpath("craftax_classic").joinpath("skills")
    for entry in _classic_kb()["skills"]:  # Classic's rules hold: its skills are copied as is
        files[f"skills/{entry['code']}"] = classic.joinpath(entry["code"]).read_text()
    for spec, code in fabrax_skills():
        files[f"skills/{skill_file(spec['name'])}"] = code
    return files


def write_resources(root: Path | None = None) -> Path:
    root = root or Path(__file__).resolve().parents[2] / "resources" / "fabrax"
    for rel, text in resource_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


if __name__ == "__main__":
    print(write_resources())
