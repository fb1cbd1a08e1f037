# The achievement table of the tree: every accepted skill's plan policy, the tree's best and
# the baseline (when baseline.enabled), per-achievement success (%) and the Crafter score,
# mean and 95% t interval over seeds. Stage: flowrl/report/achievements_cli.py.


def seed_evals(wildcards=None):
    """eval.json of every slot this run computes, for every seed."""
    first = [slot(i, "eval") for i in SLOTS.run]
    return first + [seed_file(i, s, "eval") for i in SLOTS.run for s in SEEDS[1:]]


rule achievements:
    input:
        library=slot(SLOTS.last, "library"),
        evals=seed_evals(),
        baseline=[baseline_file(s, "eval") for s in SEEDS] if BASELINE else [],
    output:
        csv=report(
            tree_file("achievements_csv"),
            caption="../report/achievements.rst",
            category="Achievements",
        ),
        md=tree_file("achievements_md"),
        plot=report(
            tree_file("achievements_plot"),
            caption="../report/achievements_plot.rst",
            category="Achievements",
        ),
    log:
        tree_log("achievements"),
    params:
        seeds=" ".join(str(s) for s in SEEDS),
        baseline=" ".join(baseline_file(s) for s in SEEDS) if BASELINE else "",
    shell:
        "{FLOWRL} achievements --tree {TREE} --seeds {params.seeds} "
        "--baseline {params.baseline} {WANDB} > {log} 2>&1"
