# Per-tree report and the cross-model comparison of this game's trees (flowrl/report/).


rule report:
    input:
        library=slot(SLOTS.last, "library"),
        evals=[slot(i, "eval") for i in SLOTS.run],
    output:
        csv=report(
            tree_file("report_csv"),
            caption="../report/skills.rst",
            category="Skills",
        ),
        md=tree_file("report_md"),
        curves=report(
            tree_file("report_curves"),
            caption="../report/curves.rst",
            category="Training curves",
        ),
    log:
        tree_log("report"),
    params:
        tree=above("csv", 2),  # {tree}/report/skills.csv
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl report --tree {params.tree} > {log} 2>&1"


rule compare:
    input:
        skills=tree_file("report_csv"),
        achievements=tree_file("achievements_csv"),
    output:
        csv=report(
            comparison_file("csv"),
            caption="../report/models.rst",
            category="Model comparison",
        ),
        md=comparison_file("md"),
        plot=report(
            comparison_file("plot"),
            caption="../report/models_plot.rst",
            category="Model comparison",
        ),
    log:
        tree_log("compare"),
    params:
        root=lambda wildcards, output: str(Path(output.csv).parent.parent),
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl compare --root {params.root} > {log} 2>&1"
