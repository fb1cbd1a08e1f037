"""The achievement table: Crafter score, t intervals over seeds, the tree's best-of row, the
baseline row in the comparison, and its W&B logging (offline run folder; no login never
fails). Real files in the tree layout; no JAX."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowrl.pipeline.layout import baseline_path, seed_path, slot_path
from flowrl.report.achievements import mean_interval, t_quantile
from flowrl.report.achievements_cli import run as achievements_run
from flowrl.report.achievements_cli import write_achievements
from flowrl.report.compare import compare
from flowrl.rl.achievements import achievement_summary, crafter_score

NAMES = ("collect_wood", "place_table", "collect_diamond")


def test_crafter_score_is_the_shifted_geometric_mean() -> None:
    assert crafter_score([100.0] * 22) == pytest.approx(100.0)
    assert crafter_score([0.0] * 22) == 0.0
    assert crafter_score([100.0, 0.0]) == pytest.approx(math.sqrt(101.0) - 1.0)
    with pytest.raises(ValueError, match="percentages"):
        crafter_score([0.5, 120.0])
    summary = achievement_summary(list(NAMES), [[1, 0, 0], [1, 1, 0]], horizon=100)
    assert summary["pct"] == {"collect_wood": 100.0, "place_table": 50.0, "collect_diamond": 0.0}
    assert summary["crafter_score"] == pytest.approx(crafter_score([100.0, 50.0, 0.0]))


def test_t_interval_over_seeds() -> None:
    assert mean_interval([40.0]) == (40.0, None, None)
    mean, low, high = mean_interval([10.0, 20.0, 30.0])
    half = 4.303 * 10.0 / math.sqrt(3)  # t(0.975, df=2) x sd / sqrt(n)
    assert mean == 20.0 and low == pytest.approx(0.0) and high == pytest.approx(20 + half)
    assert t_quantile(40) == 1.96
    with pytest.raises(ValueError, match="two seeds"):
        t_quantile(0)


def _eval(path: str, rates: tuple[float, ...]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    doc = {"status": "ok", "achievements": {"pct": dict(zip(NAMES, rates, strict=True))}}
    Path(path).write_text(json.dumps(doc))


def _tree(root: Path) -> tuple[Path, list[str]]:
    """Slots 0, 1 accepted and 2 rejected, two seeds each, and a two-seed baseline."""
    tree = root / "gpt-5"
    library = {
        "skills": [{"iteration": 0, "name": "Collect Wood"}, {"iteration": 1, "name": "Table"}],
        "rejected": [{"iteration": 2, "name": "Diamond", "stage": "train", "reasons": ["low"]}],
    }
    Path(slot_path(tree, 2, "library")).parent.mkdir(parents=True)
    Path(slot_path(tree, 2, "library")).write_text(json.dumps(library))
    _eval(slot_path(tree, 0, "eval"), (80.0, 0.0, 0.0))
    _eval(seed_path(tree, 0, 1, "eval"), (60.0, 10.0, 0.0))
    _eval(slot_path(tree, 1, "eval"), (70.0, 40.0, 0.0))
    _eval(seed_path(tree, 1, 1, "eval"), (90.0, 20.0, 0.0))
    _eval(slot_path(tree, 2, "eval"), (100.0, 100.0, 100.0))  # rejected: never counts
    base = [baseline_path(root, 3000, s) for s in (0, 1)]
    _eval(f"{base[0]}/eval.json", (50.0, 0.0, 0.0))
    _eval(f"{base[1]}/eval.json", (30.0, 10.0, 0.0))
    return tree, base


def test_table_rows_tree_best_and_baseline(tmp_path: Path) -> None:
    tree, base = _tree(tmp_path)
    rows = write_achievements(tree, [0, 1], base)
    by = {(r["kind"], r["slot"], r["metric"]): r for r in rows}
    best = by[("tree", None, "collect_wood")]  # per seed the best plan: 80 and 90
    assert best["mean"] == 85.0 and best["seeds"] == 2 and best["values"] == "80 90"
    assert by[("tree", None, "place_table")]["values"] == "40 20"
    assert by[("skill", 0, "place_table")]["mean"] == 5.0
    assert not any(r["slot"] == 2 for r in rows)
    score = by[("baseline", None, "crafter_score")]
    per_seed = [crafter_score([50.0, 0.0, 0.0]), crafter_score([30.0, 10.0, 0.0])]
    assert score["mean"] == pytest.approx(sum(per_seed) / 2, abs=1e-4)
    assert score["ci_low"] is not None and score["ci_low"] <= score["mean"] <= score["ci_high"]
    md = (tree / "report" / "achievements.md").read_text()
    assert "| crafter_score |" in md and "85.0 [" in md and "Deepest achievement" in md
    assert (tree / "report" / "achievements.png").stat().st_size > 1000
    with pytest.raises(FileNotFoundError, match="rerun the baseline"):
        write_achievements(tree, [0, 1], [str(tmp_path / "missing" / "seed_0")])

    models = compare(tmp_path)
    assert [m["model"] for m in models] == ["gpt-5", "baseline_ppo (2 seeds)"]
    assert models[1]["frames"] == 3000 and models[1]["crafter_score"] == score["mean"]
    assert models[0]["deepest_achievement"] == "place_table"
    assert models[0]["crafter_score_ci"]


def _wandb_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> Path:
    pytest.importorskip("wandb")
    tree, base = _tree(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.netrc login
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb_dir"))
    monkeypatch.setenv("WANDB_MODE", mode)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing may leave the host
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    args = argparse.Namespace(tree=str(tree), seeds=[0, 1], baseline=base, use_wandb=True)
    assert achievements_run(args) == 0
    with open(tree / "report" / "achievements.csv") as fh:
        assert any(r["metric"] == "crafter_score" for r in csv.DictReader(fh))
    return tmp_path / "wandb_dir" / "wandb"


def test_wandb_offline_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _wandb_run(tmp_path, monkeypatch, "offline")
    (run,) = folder.glob("offline-run-*")
    assert next(run.glob("run-*.wandb")).stat().st_size > 0
    (table,) = run.glob("files/media/table/achievements_*.table.json")
    logged = json.loads(table.read_text())
    assert "crafter_score" in [row[3] for row in logged["data"]]  # the metric column


def test_wandb_without_login_never_fails(tmp_path: Path) -> None:
    """Online mode, no key, no login: the command warns and writes its table (own process:
    wandb keeps its first settings for the life of a process)."""
    pytest.importorskip("wandb")
    tree, base = _tree(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env |= {"HOME": str(tmp_path / "home"), "WANDB_MODE": "online"}
    env |= {"WANDB_DIR": str(tmp_path / "wandb_dir"), "WANDB_BASE_URL": "http://127.0.0.1:9"}
    cmd = [sys.executable, "-m", "flowrl.cli", "achievements", "--tree", str(tree)]
    cmd += ["--seeds", "0", "1", "--baseline", *base, "--use-wandb"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "W&B disabled" in proc.stderr and "| tree (gpt-5) |" in proc.stdout
    assert (tree / "report" / "achievements.csv").is_file()


def test_cli_help_lists_the_new_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from flowrl.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "achievements" in out
