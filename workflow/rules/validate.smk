# Sandboxed validation with bounded LLM repair. Always writes validation.json (ok or the
# reasons) and validated/; validated/skill.py exists only when ok, so a rejected slot flows
# on to commit.
# With candidates: K > 1 the slot's code comes from `select` (select.smk) instead.

if CANDIDATES == 1:

    rule validate:
        input:
            skill=slot("{i}", "skill"),
            proposal=slot("{i}", "proposal"),
            status=slot("{i}", "code_status"),
        output:
            validation=slot("{i}", "validation"),
            validated=directory(slot("{i}", "validated_dir")),
        log:
            slot_log("validate"),
        message:
            "Slot {wildcards.i}: validate the skill (LLM repairs, bounded)"
        params:
            env=ENV,
            llm=llm_args,
            slot_dir=slot_dir,
        benchmark:
            slot_benchmark("validate")
        resources:
            **SLURM,
            mem_mb=res("llm", "mem_mb", 4000),
            runtime=res("llm", "runtime", 60),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot validate --env {params.env} {params.llm} --skill {input.skill} "
            "--proposal {input.proposal} --slot-dir {params.slot_dir} > {log} 2>&1"
