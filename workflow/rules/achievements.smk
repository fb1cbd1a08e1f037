# The achievement table of the tree: every accepted skill's plan policy, the tree's best and
# the baseline (when baseline.enabled), per-achievement success (%) and the Crafter score,
# mean and 95% t interval over seeds. Stage: flowrl/report/achievements_cli.py.
# Inputs: seed_evals (common.smk).


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
        tree=above("csv", 2),  # {tree}/report/achievements.csv
        seeds=" ".join(str(s) for s in SEEDS),
        baseline=lambda wildcards, input: " ".join(str(Path(f).parent) for f in input.baseline),
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl achievements --tree {params.tree} --seeds {params.seeds} "
        "--baseline {params.baseline} > {log} 2>&1"
