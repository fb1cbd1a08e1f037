# Per-tree report and the cross-model comparison of this game's trees.


rule report:
    input:
        library=slot(SLOTS.last, "library.json"),
        evals=[slot(i, "eval.json") for i in SLOTS.run],
    output:
        csv=report(
            f"{TREE}/report/skills.csv",
            caption="../report/skills.rst",
            category="Skills",
        ),
        md=f"{TREE}/report/skills.md",
        curves=report(
            f"{TREE}/report/curves.png",
            caption="../report/curves.rst",
            category="Training curves",
        ),
    shell:
        "{FLOWRL} report --tree {TREE}"


rule compare:
    input:
        f"{TREE}/report/skills.csv",
    output:
        csv=report(
            f"{Path(TREE).parent}/comparison/models.csv",
            caption="../report/models.rst",
            category="Model comparison",
        ),
        md=f"{Path(TREE).parent}/comparison/models.md",
        plot=report(
            f"{Path(TREE).parent}/comparison/models.png",
            caption="../report/models_plot.rst",
            category="Model comparison",
        ),
    params:
        root=str(Path(TREE).parent),
    shell:
        "{FLOWRL} compare --root {params.root}"
