"""Runtime checks of skill code on real states (runs inside the sandbox subprocess).

Entry point: ``python -m flowrl.skills.runtime_check`` reads a JSON request on stdin,
confines itself (:func:`flowrl.skills.sandbox.confine`) and prints one JSON result line
per skill. Never import this into a trusted long-lived process to run untrusted code; use
:func:`flowrl.skills.validator.validate_source`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from flowrl.skills.contract import PREDEFINED_TEXT
from flowrl.skills.sandbox import confine, die_with_parent, limit_cpu_from_now

CPU_GRACE_S = 5.0
RESET_DONE_LIMIT = 0.5
"""Reject skills whose completion already holds in at least this fraction of fresh worlds."""


def _where(err: BaseException) -> str:
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename == "<skill>":
            return f"Line {frame.lineno}: "
    return ""


def explain(err: BaseException, function: str) -> str:
    """One actionable sentence for an exception raised while tracing ``function``."""
    import jax

    where = _where(err)
    name = type(err).__name__
    text = str(err).strip().splitlines()[0].rstrip(".") if str(err).strip() else name
    if isinstance(err, MemoryError) or "RESOURCE_EXHAUSTED" in text:
        return (
            f"{where}`{function}` needs more memory than the sandbox allows ({text}); "
            "avoid large intermediate arrays."
        )
    if isinstance(err, jax.errors.TracerBoolConversionError | jax.errors.ConcretizationTypeError):
        return (
            f"{where}`{function}` uses Python control flow (if/and/or/not/bool()) on a traced value; "
            "use jnp.where, jnp.logical_and, jnp.logical_or or jnp.logical_not instead."
        )
    if isinstance(err, jax.errors.TracerIntegerConversionError):
        return f"{where}`{function}` converts a traced value to a Python int; keep values as jnp arrays."
    if isinstance(err, NameError):
        return f"{where}`{function}` uses an undefined name ({text}); only {PREDEFINED_TEXT} are available."
    if isinstance(err, AttributeError):
        return f"{where}`{function}` accesses a missing attribute ({text}); check field names against the contract."
    if isinstance(err, TypeError) and "argument" in text:
        return f"{where}`{function}` was called with the contract's arguments but failed: {text}; match the required signature."
    return f"{where}`{function}` raised {name}: {text}."


def check(source: str, env_name: str, n: int, seed: int = 0) -> dict[str, Any]:
    """Run all runtime checks; returns {"reasons": [...], "stats": {...}}."""
    # Deliberately lazy: main() confines the process before JAX (and its threads) load.
    import jax
    import jax.numpy as jnp
    import numpy as np

    from flowrl.envs.features import call_with_features, skill_arguments
    from flowrl.skills.contract import IS_DONE, NETWORK_NUMBER, REWARD
    from flowrl.skills.loader import SkillCodeError, exec_checked
    from flowrl.skills.samples import load_or_collect

    reasons: list[str] = []
    stats: dict[str, Any] = {}
    try:
        namespace = exec_checked(source, env_name, filename="<skill>")
    except SkillCodeError as err:
        return {"reasons": err.reasons, "stats": stats}

    try:
        number = namespace[NETWORK_NUMBER]()
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            reasons.append(
                f"`{NETWORK_NUMBER}` must return a non-negative Python int, got {number!r}."
            )
    except Exception as err:
        reasons.append(explain(err, NETWORK_NUMBER))

    samples = load_or_collect(env_name, seed)
    is_done, reward = namespace[IS_DONE], namespace[REWARD]

    def done_fn(prev: Any, cur: Any, n: int = n) -> Any:
        return call_with_features(is_done, {**skill_arguments(prev, cur), "n": n})

    def far_done_fn(prev: Any, cur: Any) -> Any:  # the cycle probe: a target never reached
        return done_fn(prev, cur, PROBE_N)

    def reward_fn(prev: Any, cur: Any) -> Any:
        return call_with_features(reward, skill_arguments(prev, cur))

    results: dict[str, Any] = {}
    compiled = {
        IS_DONE: jax.jit(jax.vmap(done_fn)),
        REWARD: jax.jit(jax.vmap(reward_fn)),
        "far": jax.jit(jax.vmap(far_done_fn)),
    }
    for name, pairs in (
        (IS_DONE, (samples.prev, samples.cur)),
        (REWARD, (samples.prev, samples.cur)),
        (IS_DONE + "@reset", (samples.reset, samples.reset)),
        # the reward-cycle probe: the same transitions walked back, and which pairs are live
        # (not done either way) for a count target no state reaches
        (REWARD + "@back", (samples.cur, samples.prev)),
        ("far@forward", (samples.prev, samples.cur)),
        ("far@back", (samples.cur, samples.prev)),
    ):
        label = name.split("@")[0]
        probe = name.startswith("far") or name.endswith("@back")
        if probe and {IS_DONE, REWARD} - results.keys():
            continue  # a forward call failed and was reported
        start = time.perf_counter()
        try:
            out = compiled[label](*pairs)
            results[name] = np.asarray(jax.block_until_ready(jnp.asarray(out)))
        except Exception as err:
            reason = explain(err, label)
            if reason not in reasons:
                reasons.append(reason)
            continue
        if not probe:
            stats[f"{name}_compile_s"] = round(time.perf_counter() - start, 3)

    batch = samples.num_transitions
    done = results.get(IS_DONE)
    if done is not None:
        if done.shape != (batch,):
            reasons.append(
                f"`{IS_DONE}` must return one boolean scalar per state, but returned shape {done.shape[1:]}; reduce it (e.g. with .all() or .any())."
            )
        elif not (done.dtype == np.bool_ or np.issubdtype(done.dtype, np.integer)):
            reasons.append(
                f"`{IS_DONE}` must return a boolean (e.g. `inventory.wood >= n`), not {done.dtype}."
            )
        else:
            stats["done_rate"] = float(done.astype(bool).mean())
    rew = results.get(REWARD)
    if rew is not None:
        if rew.shape != (batch,):
            reasons.append(
                f"`{REWARD}` must return one scalar per state, but returned shape {rew.shape[1:]}; sum or index the array."
            )
        elif not (np.issubdtype(rew.dtype, np.number) or rew.dtype == np.bool_):
            reasons.append(f"`{REWARD}` must return a number, not {rew.dtype}.")
        else:
            rew = rew.astype(np.float64)
            bad = ~np.isfinite(rew)
            if bad.all():
                reasons.append(
                    f"`{REWARD}` returns NaN or infinity on every state; guard divisions and logs."
                )
            elif bad.any():
                reasons.append(
                    f"`{REWARD}` returns NaN or infinity on {int(bad.sum())} of {batch} real states; guard divisions and logs."
                )
            else:
                stats["reward_mean"] = float(rew.mean())
                stats["reward_std"] = float(rew.std())
                if rew.std() == 0.0 and rew.mean() == 0.0:
                    stats["warning"] = "reward is zero on every sampled state"
                cycle = _reward_cycle_rate(
                    rew,
                    results.get(REWARD + "@back"),
                    results.get("far@forward"),
                    results.get("far@back"),
                )
                if cycle is not None:
                    stats["reward_cycle_rate"] = round(cycle, 4)
                    if cycle >= CYCLE_RATE_LIMIT:
                        stats["warning"] = CYCLE_WARNING.format(rate=cycle)
    at_reset = results.get(IS_DONE + "@reset")
    if at_reset is not None and at_reset.shape == (samples.reset.achievements.shape[0],):
        rate = float(at_reset.astype(bool).mean())
        stats["done_at_reset_rate"] = rate
        if rate >= RESET_DONE_LIMIT:
            reasons.append(
                f"`{IS_DONE}` is already true in {rate:.0%} of fresh worlds (n={n}); the task must require the agent to act."
            )
    return {"reasons": reasons, "stats": stats}


# The reward-cycle probe (reward hacking): walking a sampled transition forward and back
# returns to the same state, so a potential-based reward, gamma * Phi(s') - Phi(s), earns
# about nothing over the pair; a reward that pays for gathering but takes nothing back
# for spending (``max(inventory_diff.wood, 0)``) earns its full amount every cycle.
CYCLE_SHARE = 0.25  # a pair counts when it earns over this share of its larger step reward
CYCLE_FLOOR = 0.01  # ... and over this share of the largest reward (rounding noise aside)
CYCLE_RATE_LIMIT = 0.02  # flagged when this share of the live pairs count
PROBE_N = 10_000  # the probe's count target: beyond every inventory cap, so count skills stay live
CYCLE_WARNING = (
    "reward is not potential-based: {rate:.0%} of sampled transitions earn reward when walked "
    "forward and back (gathering pays but spending costs nothing, shaping pays only one way, "
    "or a bonus is paid every step); use signed differences of the counted quantity, e.g. "
    "inventory_diff.wood, not jnp.maximum(inventory_diff.wood, 0)"
)


def _reward_cycle_rate(forward: Any, back: Any, done_forward: Any, done_back: Any) -> float | None:
    """Share of live (not done either way) sampled pairs whose forward-and-back reward is
    positive beyond :data:`CYCLE_SHARE` of the pair's larger step reward; None when not
    measurable."""
    import numpy as np

    arrays = [forward, back, done_forward, done_back]
    if any(a is None or np.shape(a) != np.shape(forward) for a in arrays):
        return None
    forward, back = np.asarray(forward, np.float64), np.asarray(back, np.float64)
    live = ~(np.asarray(done_forward).astype(bool) | np.asarray(done_back).astype(bool))
    live &= np.isfinite(forward) & np.isfinite(back)
    if not live.any():
        return None
    forward, back = forward[live], back[live]
    scale = float(np.abs(np.concatenate([forward, back])).max())
    if scale == 0.0:
        return None
    cycle = forward + back
    larger = np.maximum(np.abs(forward), np.abs(back))
    farmed = (cycle > CYCLE_SHARE * larger) & (cycle > CYCLE_FLOOR * scale)
    return float(farmed.mean())


TIMEOUT_REASON = (
    "Checking the code took longer than {seconds:.0f} s; avoid large Python loops and keep "
    "the functions small."
)


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write("\n" + json.dumps(record) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Read {"skills": [{"source", "n"}...], "env_name", ...}; print JSON lines per skill.

    Before each skill ``{"index": i, "started": true}``, after it ``{"index": i,
    "reasons": [...], "stats": {...}}``: a parent that sees a start without a result knows
    which skill the process died on. A skill past its time ends the process (an exception
    raised inside JAX tracing is not reliably propagated), after reporting the timeout.
    """
    request = json.loads(sys.stdin.read())
    die_with_parent(request.get("parent_pid"))  # a killed validator leaves no sandbox behind
    # Confine first: no thread, no JAX and no skill code exists yet.
    isolation = confine(
        Path.cwd(),
        read_roots=request.get("read_roots", ()),
        memory_gb=float(request.get("memory_gb", 4.0)),
        cpu_s=float(request.get("cpu_s", 120.0)),
        landlock=bool(request.get("landlock", True)),
    )
    env_name, seed = request["env_name"], int(request.get("seed", 0))
    per_skill = float(request.get("per_skill_s", 120.0))
    # Trusted start-up (not charged to any skill): JAX, the game, the sample states.
    from flowrl.skills.samples import load_or_collect

    load_or_collect(env_name, seed)
    current = {"index": -1}

    def on_alarm(signum: int, frame: Any) -> None:
        reason = TIMEOUT_REASON.format(seconds=per_skill)
        _emit({"index": current["index"], "reasons": [reason], "stats": {"isolation": isolation}})
        os._exit(0)

    signal.signal(signal.SIGALRM, on_alarm)
    for index, item in enumerate(request["skills"]):
        current["index"] = index
        _emit({"index": index, "started": True})
        signal.setitimer(signal.ITIMER_REAL, per_skill)
        # CPU time of all threads: holds inside C code the alarm cannot interrupt
        limit_cpu_from_now(per_skill * max(os.cpu_count() or 1, 1) + CPU_GRACE_S)
        try:
            result = check(item["source"], env_name, int(item.get("n", 1)), seed)
        except Exception as err:  # report, never crash silently
            result = {"reasons": [f"Validation crashed: {type(err).__name__}: {err}."], "stats": {}}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result["stats"]["isolation"] = isolation
        _emit({"index": index, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
