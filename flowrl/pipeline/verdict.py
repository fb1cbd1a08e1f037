"""One verdict per slot from two success numbers: training's estimate and evaluation's.

Training's estimate (``train.json``) is the success within the horizon over thousands of
fresh episodes while the policy trained; evaluation (``eval.json``) plays the saved
checkpoint on a few dozen new fresh worlds. Both are 95% Wilson intervals of the same
quantity. The rule (docs/training.md, "One verdict"):

1. **Training rules** whenever the two agree (their intervals overlap) or evaluation is
   missing: it has far more episodes.
2. **Evaluation overrules a near miss**: training rejected the slot at a best estimate of at
   least ``threshold - NEAR_MISS`` (not an early stop), and evaluation's whole interval lies
   at or above the threshold (31 of 32 episodes or better), above training's interval too.
3. **Evaluation overrules a pass it contradicts**: training accepted, and evaluation's whole
   interval lies below both the threshold and training's interval: the checkpoint that
   would enter the library does not do what the estimate said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NEAR_MISS = 0.1  # how far below the threshold a rejection may be and still be overruled
TRAIN, EVALUATION = "train", "evaluation"


def _interval(doc: Mapping[str, Any], key: str) -> tuple[float, float] | None:
    raw = doc.get(key)
    if isinstance(raw, list | tuple) and len(raw) == 2 and all(_num(x) for x in raw):
        return float(raw[0]), float(raw[1])
    return None


def _num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and x == x


def fresh_evaluation(evaluated: Mapping[str, Any]) -> Mapping[str, Any]:
    """The evaluation block of the policy acceptance is about (sampled unless told)."""
    policy = str(evaluated.get("acceptance_policy") or "sampled")
    block = evaluated.get(policy)
    return block if isinstance(block, Mapping) else {}


def decide(trained: Mapping[str, Any], evaluated: Mapping[str, Any]) -> dict[str, Any]:
    """``{"accepted", "decided_by", "rule"}`` for a slot that reached training; ``accepted``
    is None when training never produced an estimate (the slot stopped before it)."""
    raw_rate, raw_threshold = trained.get("success_rate"), trained.get("success_threshold")
    passed = trained.get("status") == "ok"
    if not (_num(raw_rate) and _num(raw_threshold)):
        accepted = passed if "status" in trained else None
        return {"accepted": accepted, "decided_by": TRAIN, "rule": "no success estimate"}
    rate, threshold = float(raw_rate), float(raw_threshold)  # type: ignore[arg-type]
    train_iv = _interval(trained, "success_interval") or (rate, rate)
    block = fresh_evaluation(evaluated)
    eval_iv = _interval(block, "success_interval")
    if eval_iv is None:
        return {"accepted": passed, "decided_by": TRAIN, "rule": "no evaluation to compare"}
    eval_rate = block.get("success_within_horizon")
    shown = f"{eval_rate:.2f} [{eval_iv[0]:.2f}, {eval_iv[1]:.2f}]" if _num(eval_rate) else ""
    near = rate >= threshold - NEAR_MISS and not trained.get("stopped_early")
    if not passed and near and eval_iv[0] >= threshold and eval_iv[0] > train_iv[1]:
        return {
            "accepted": True,
            "decided_by": EVALUATION,
            "rule": f"evaluation overruled a near miss: fresh episodes {shown} lie at or "
            f"above the threshold {threshold}, training's best {rate:.3f} was within "
            f"{NEAR_MISS} of it",
        }
    if passed and eval_iv[1] < threshold and eval_iv[1] < train_iv[0]:
        return {
            "accepted": False,
            "decided_by": EVALUATION,
            "rule": f"evaluation overruled training: fresh episodes of the checkpoint {shown} "
            f"lie below the threshold {threshold} and below training's estimate "
            f"{rate:.3f}",
        }
    agree = eval_iv[0] <= train_iv[1] and train_iv[0] <= eval_iv[1]
    why = "the intervals overlap" if agree else "the gap is outside the overrule margins"
    return {"accepted": passed, "decided_by": TRAIN, "rule": f"training rules: {why}"}
