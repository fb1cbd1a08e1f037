# Optional (analyse: true): the LLM corrects the skill's spec from a rollout of the checkpoint.

if config.get("analyse"):

    rule analyse:
        input:
            proposal=slot("{i}", "proposal.json"),
            train=slot("{i}", "train.json"),
        output:
            slot("{i}", "analysis.json"),
        params:
            llm=llm_args,
            slot_dir=lambda w: slot(w.i),
        benchmark:
            slot("{i}", "benchmarks/analyse.tsv")
        resources:
            **SLURM,
            mem_mb=res("llm", "mem_mb", 4000),
            runtime=res("llm", "runtime", 60),
        shell:
            "{FLOWRL} slot analyse --env {ENV} {params.llm} --proposal {input.proposal} "
            "--train {input.train} --slot-dir {params.slot_dir}"
