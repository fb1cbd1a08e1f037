"""Runtime checks of skill code on real states (runs inside the sandbox subprocess).

Entry point: ``python -m flowrl.skills.runtime_check`` reads a JSON request on stdin,
confines itself (:func:`flowrl.skills.sandbox.confine`) and prints one JSON result line
per skill. Never import this into a trusted long-lived process to run untrusted code; use
:func:`flowrl.skills.validator.validate_source`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from flowrl.envs.games import GameSpec, get_game
from flowrl.skills.contract import PREDEFINED_TEXT, REWARD_LIMIT
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
    # an allocation refused by the address-space limit surfaces from XLA's CPU kernels
    if isinstance(err, MemoryError) or "RESOURCE_EXHAUSTED" in text or "YNNPACK" in text:
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


def check(source: str, game: GameSpec, n: int, seed: int = 0) -> dict[str, Any]:  # noqa: C901  # the checks run in order, each may stop the rest; being rewritten (sandbox work)
    """Run all runtime checks; returns {"reasons": [...], "stats": {...}}."""
    # Deliberately lazy: main() confines the process before JAX (and its threads) load.
    import jax
    import numpy as np

    from flowrl.envs.features import call_with_features, skill_arguments
    from flowrl.skills.contract import IS_DONE, NETWORK_NUMBER, REWARD
    from flowrl.skills.loader import SkillCodeError, exec_checked
    from flowrl.skills.samples import load_or_collect

    reasons: list[str] = []
    stats: dict[str, Any] = {}

    def refuse(reason: str) -> None:
        # one sentence per problem: the same failure at another n adds nothing
        same = re.sub(r" \(n=\d+\)", "", reason)
        if all(re.sub(r" \(n=\d+\)", "", r) != same for r in reasons):
            reasons.append(reason)

    try:
        namespace = exec_checked(source, game, filename="<skill>")
    except SkillCodeError as err:
        return {"reasons": err.reasons, "stats": stats}

    try:
        number = namespace[NETWORK_NUMBER]()
        if (
            isinstance(number, bool)
            or not isinstance(number, int)
            or not 0 <= number < MAX_NETWORK_NUMBER
        ):
            refuse(
                f"`{NETWORK_NUMBER}` must return a Python int from 0 to {MAX_NETWORK_NUMBER - 1} "
                f"(a hint: the planner assigns the expert), got {number!r}; return 0."
            )
    except Exception as err:
        refuse(explain(err, NETWORK_NUMBER))

    samples = load_or_collect(game, seed)
    is_done, reward = namespace[IS_DONE], namespace[REWARD]
    probes = sorted({int(n), *N_PROBES})
    stats["n_probed"] = probes

    def done_at(target: int) -> Any:
        def done_fn(prev: Any, cur: Any) -> Any:
            return call_with_features(is_done, {**skill_arguments(prev, cur), "n": target})

        return jax.jit(jax.vmap(done_fn))

    def reward_fn(prev: Any, cur: Any) -> Any:
        return call_with_features(reward, skill_arguments(prev, cur))

    compiled = {REWARD: jax.jit(jax.vmap(reward_fn))}
    for probe_n in probes:
        compiled[f"{IS_DONE}@{probe_n}"] = done_at(probe_n)
    # One batch for every probe, so each function compiles once: the transitions, one
    # step from each fresh world with each action, and the fresh worlds themselves.
    parts = samples.probe_batch()
    forward, backward = (parts.prev, parts.cur), (parts.cur, parts.prev)
    calls: list[tuple[str, str, tuple[Any, Any]]] = [
        (REWARD, REWARD, forward),
        *((f"{IS_DONE}@{t}", f"{IS_DONE}@{t}", forward) for t in probes),
        # the reward-cycle probe: the same transitions walked back
        (f"{REWARD}@back", REWARD, backward),
        (f"{IS_DONE}@back", f"{IS_DONE}@{PROBE_N}", backward),
    ]
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    failed: set[str] = set()
    for name, fn, pairs in calls:
        if fn in failed:
            continue  # reported once
        label, _, target = fn.partition("@")
        try:
            out, compile_s, per_state_s = _run_chunked(compiled[fn], *pairs, size=parts.size)
        except Exception as err:
            failed.add(fn)
            why = explain(err, label)
            refuse(why.replace(f"`{label}`", f"`{label}` (n={target})", 1) if target else why)
            continue
        if name == fn:
            stats[f"{name}_compile_s"] = round(compile_s, 3)
            seconds[fn] = per_state_s
        reason = _shape_reason(label, target, out, (parts.size,))
        if reason:
            failed.add(fn)
            refuse(reason)
        else:
            results[name] = out
    # split each output back into its parts
    for name in list(results):
        out = results.pop(name)
        for part, piece in parts.split(out).items():
            results[name if part == "transitions" else f"{name}#{part}"] = piece
    results[f"{REWARD}@first"] = results.get(f"{REWARD}#first")
    results[f"{IS_DONE}@reset"] = results.get(f"{IS_DONE}@{n}#reset")
    results[f"{IS_DONE}@first"] = results.get(f"{IS_DONE}@{n}#first")

    actions = game.constants.Action

    def first_label(i: int) -> str:
        action = actions(int(samples.first_actions[i])).name
        return f"one step with action {action} from a fresh world"

    rew = results.get(REWARD)
    if rew is not None:
        rew = rew.astype(np.float64)
        first_rew = results.get(f"{REWARD}@first")
        reason = _reward_values_reason(rew, samples.label) or (
            _reward_values_reason(first_rew.astype(np.float64), first_label)
            if first_rew is not None
            else None
        )
        if reason:
            refuse(reason)
        else:
            stats["reward_mean"] = float(rew.mean())
            stats["reward_std"] = float(rew.std())
            stats["reward_max_abs"] = float(np.abs(rew).max())
            if rew.std() == 0.0 and rew.mean() == 0.0:
                stats["warning"] = "reward is zero on every sampled state"
            real = samples.real_play() if len(samples.labels) == len(rew) else slice(None)
            back = results.get(f"{REWARD}@back")
            far_fwd, far_back = results.get(f"{IS_DONE}@{PROBE_N}"), results.get(f"{IS_DONE}@back")
            cycle = _reward_cycle_rate(
                rew[real],
                None if back is None else back[real],
                None if far_fwd is None else far_fwd[real],
                None if far_back is None else far_back[real],
            )
            if cycle is not None:
                stats["reward_cycle_rate"] = round(cycle, 4)
                if cycle >= CYCLE_RATE_LIMIT:
                    stats["warning"] = CYCLE_WARNING.format(rate=cycle)
    done = results.get(f"{IS_DONE}@{n}")
    if done is not None:
        stats["done_rate"] = float(done.astype(bool).mean())
    at_reset = results.get(f"{IS_DONE}@reset")
    if at_reset is not None:
        rate = float(at_reset.astype(bool).mean())
        stats["done_at_reset_rate"] = rate
        if rate >= RESET_DONE_LIMIT:
            refuse(
                f"`{IS_DONE}` is already true in {rate:.0%} of fresh worlds (n={n}); the task must require the agent to act."
            )
    at_first = results.get(f"{IS_DONE}@first")
    if at_first is not None and len(samples.first_actions) == len(at_first):
        rates = {
            int(a): float(at_first[samples.first_actions == a].astype(bool).mean())
            for a in np.unique(samples.first_actions)
        }
        worst = max(rates, key=lambda a: rates[a])
        stats["done_after_one_step_rate"] = round(rates[worst], 4)
        if rates[worst] >= TRIVIAL_DONE_LIMIT and not (
            at_reset is not None and float(at_reset.astype(bool).mean()) >= RESET_DONE_LIMIT
        ):
            refuse(
                f"`{IS_DONE}` is trivially done: one step from a fresh world (action "
                f"{actions(worst).name}, n={n}) already makes it true in {rates[worst]:.0%} "
                "of worlds; test the skill's own result (e.g. inventory.wood >= n, an "
                "achievement just unlocked), not that something changed."
            )
    if not reasons:
        _check_cost(seconds, parts, samples.step_over_reference, game, stats, refuse)
    return {"reasons": reasons, "stats": stats}


MAX_NETWORK_NUMBER = 64
"""``task_network_number`` hints an expert index below this (the planner assigns experts)."""
N_PROBES = (1, 3, 10, 10_000)  # 10_000: PROBE_N, the reward-cycle probe's target
"""Target counts ``task_is_done`` is compiled and checked at, besides the requested one."""
TRIVIAL_DONE_LIMIT = 0.5
"""Refuse done conditions that one action from a fresh world makes true this often."""


CHUNK = 512  # flowrl.skills.cost.TIMING_BATCH: the baselines are timed at this size too
"""Sample states per call: each function compiles for this batch once, and memory per call
stays what one chunk needs."""


def _run_chunked(fn: Any, prev: Any, cur: Any, size: int) -> tuple[Any, float, float]:
    """``fn`` over ``size`` batched pairs in chunks of :data:`CHUNK` (the last one padded):
    (output, seconds of the first call (compiling), compiled seconds per state)."""
    import jax
    import numpy as np

    outs, compile_s = [], 0.0
    for start in range(0, size, CHUNK):
        rows = np.minimum(np.arange(start, start + CHUNK), size - 1)
        chunk = jax.tree.map(lambda x, rows=rows: np.asarray(x)[rows], (prev, cur))
        begin = time.perf_counter()
        outs.append(np.asarray(jax.block_until_ready(fn(*chunk))))
        if start == 0:
            compile_s = time.perf_counter() - begin
            begin = time.perf_counter()  # again, compiled: the cost per state
            jax.block_until_ready(fn(*chunk))
            per_state_s = (time.perf_counter() - begin) / CHUNK
    out = np.concatenate(outs)[:size] if outs[0].ndim else outs[0]
    return out, compile_s, per_state_s


def _shape_reason(label: str, where: str, out: Any, expected: tuple[int, ...]) -> str | None:
    """Why ``out`` (one call's output over a batch) breaks the contract, or None."""
    import numpy as np

    from flowrl.skills.contract import IS_DONE, REWARD

    at = f" (n={where})" if where else ""
    if out.shape != expected:
        got = out.shape[1:] if out.shape[:1] == expected else out.shape
        if label == IS_DONE:
            return f"`{IS_DONE}`{at} must return one boolean scalar per state, but returned shape {got}; reduce it (e.g. with .all() or .any())."
        return f"`{REWARD}` must return one scalar per state, but returned shape {got}; sum or index the array."
    if label == IS_DONE and not (out.dtype == np.bool_ or np.issubdtype(out.dtype, np.integer)):
        return (
            f"`{IS_DONE}`{at} must return a boolean (e.g. `inventory.wood >= n`), not {out.dtype}."
        )
    if label == REWARD and not (np.issubdtype(out.dtype, np.number) or out.dtype == np.bool_):
        return f"`{REWARD}` must return a number, not {out.dtype}."
    return None


def _reward_values_reason(rew: Any, label: Any) -> str | None:
    """Refuse non-finite or huge rewards, naming the first state that produced one."""
    import numpy as np

    from flowrl.skills.contract import REWARD

    bad = ~np.isfinite(rew)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        return (
            f"`{REWARD}` returns NaN or infinity ({rew[i]}) on {int(bad.sum())} of {len(rew)} "
            "real states, e.g. "
            f"on: {label(i)}; guard divisions, logs and exponentials (e.g. divide by "
            "jnp.maximum(d, 1), clip before jnp.exp)."
        )
    big = np.abs(rew) > REWARD_LIMIT
    if big.any():
        i = int(np.flatnonzero(big)[0])
        return (
            f"`{REWARD}` returns {rew[i]:.3g} on {int(big.sum())} of {len(rew)} real states, "
            f"e.g. on: {label(i)}; per-step rewards must stay within +-{REWARD_LIMIT:g} "
            "(a completed step is worth about 1): scale or clip it."
        )
    return None


def _check_cost(
    seconds: dict[str, float],
    batch: Any,
    step_over_reference: float,
    game: GameSpec,
    stats: dict[str, Any],
    refuse: Any,
) -> None:
    """The compute budget: done (the dearest n) + reward per state against the flow env's
    own step (see :mod:`flowrl.skills.cost`)."""
    from flowrl.skills import cost
    from flowrl.skills.contract import IS_DONE, REWARD

    done_s = max(v for k, v in seconds.items() if k.startswith(IS_DONE))
    skill_s = done_s + seconds[REWARD]
    stats["cost_us_per_state"] = round(1e6 * skill_s, 3)
    if step_over_reference > 0:
        reference = _cached("reference", lambda: cost.reference_seconds(batch.prev, batch.cur))
        ratio = skill_s / reference / step_over_reference
        stats["cost_ratio"] = round(ratio, 4)
        stats["cost_measured"] = "estimate"
        if ratio < cost.EXACT_FROM * cost.COST_LIMIT:
            return
    step_s = _cached("env_step", lambda: cost.env_step_seconds(game))
    ratio = skill_s / step_s
    stats["cost_ratio"] = round(ratio, 4)
    stats["cost_measured"] = "env step, same run"
    if ratio > cost.COST_LIMIT:
        refuse(cost.budget_reason(ratio, f"`{IS_DONE}` and `{REWARD}`"))


_CACHE: dict[str, float] = {}


def _cached(key: str, measure: Any) -> float:
    """Baselines measured once per sandbox (every skill it checks is compared with them)."""
    if key not in _CACHE:
        _CACHE[key] = float(measure())
    return _CACHE[key]


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
    game, seed = get_game(request["env_name"]), int(request.get("seed", 0))
    per_skill = float(request.get("per_skill_s", 120.0))
    # Trusted start-up (not charged to any skill): JAX, the game, the sample states.
    from flowrl.skills.samples import load_or_collect

    load_or_collect(game, seed)
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
            result = check(item["source"], game, int(item.get("n", 1)), seed)
        except Exception as err:  # report, never crash silently
            result = {"reasons": [f"Validation crashed: {type(err).__name__}: {err}."], "stats": {}}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result["stats"]["isolation"] = isolation
        _emit({"index": index, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
