# candidates: K > 1. The LLM writes candidate c of the slot's reward/termination code, told
# the candidates before it (so they differ). Its LLM calls go to the candidate's own ledger.

if CANDIDATES > 1:

    localrules:
        candidate_code,

    rule candidate_code:
        input:
            proposal=slot("{i}", "proposal"),
            library=prev_library,
            earlier=earlier_candidate_files,
        output:
            skill=candidate("{i}", "{c}", "skill"),
            status=candidate("{i}", "{c}", "code_status"),
            reward_plan=candidate("{i}", "{c}", "reward_plan"),
        log:
            candidate_log("candidate_code"),
        message:
            "Slot {wildcards.i}: {LLM} writes reward-code candidate {wildcards.c}"
        params:
            env=ENV,
            llm=candidate_llm_args,
            folder=candidate_dir,
            earlier=earlier_candidate_dirs,
        benchmark:
            candidate_benchmark("candidate_code")
        resources:
            mem_mb=res("llm", "mem_mb", 4000),
            runtime=res("llm", "runtime", 60),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot candidate_code --env {params.env} {params.llm} --proposal {input.proposal} "
            "--library {input.library} --candidate-dir {params.folder} "
            "--earlier {params.earlier} > {log} 2>&1"
