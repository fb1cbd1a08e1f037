# Trajectory analysis (analyse: null = on for real models; true | false): rollouts of the
# checkpoint, summarised with the evidence of what the skill changed, and the LLM's spec
# corrections (offline: corrections computed from the evidence), applied at commit.

if ANALYSE:

    rule analyse:
        input:
            proposal=slot("{i}", "proposal"),
            plan=slot("{i}", "plan"),
            train=slot("{i}", "train"),
            checkpoint=slot("{i}", "checkpoint"),
        output:
            analysis=slot("{i}", "analysis"),
            rollout=slot("{i}", "rollout_text"),
        log:
            slot_log("analyse"),
        message:
            "Slot {wildcards.i}: {LLM} analyses a rollout of the trained plan"
        params:
            env=ENV,
            llm=llm_args,
            slot_dir=slot_dir,
        benchmark:
            slot_benchmark("analyse")
        resources:
            **SLURM,
            mem_mb=res("llm", "mem_mb", 4000),
            runtime=res("llm", "runtime", 60),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot analyse --env {params.env} {params.llm} --proposal {input.proposal} "
            "--train {input.train} --slot-dir {params.slot_dir} > {log} 2>&1"
