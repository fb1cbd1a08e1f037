# The LLM writes the skill's reward / termination code (and reasons about a dense reward).
# With candidates: K > 1 the slot's code comes from `select` (select.smk) instead.

if CANDIDATES == 1:

    localrules:
        code,

    rule code:
        input:
            proposal=slot("{i}", "proposal"),
            library=prev_library,
        output:
            skill=slot("{i}", "skill"),
            status=slot("{i}", "code_status"),
            reward_plan=slot("{i}", "reward_plan"),
        log:
            slot_log("code"),
        message:
            "Slot {wildcards.i}: {LLM} writes the skill's code"
        params:
            env=ENV,
            llm=llm_args,
        benchmark:
            slot_benchmark("code")
        resources:
            mem_mb=res("llm", "mem_mb", 4000),
            runtime=res("llm", "runtime", 60),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot code --env {params.env} {params.llm} --proposal {input.proposal} "
            "--library {input.library} --out {output.skill} > {log} 2>&1"
