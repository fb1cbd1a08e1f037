# candidates: K > 1. Candidate c's code in the sandbox, with bounded LLM repair (as validate).

if CANDIDATES > 1:

    rule candidate_validate:
        input:
            skill=candidate("{i}", "{c}", "skill"),
            status=candidate("{i}", "{c}", "code_status"),
            proposal=slot("{i}", "proposal"),
        output:
            validation=candidate("{i}", "{c}", "validation"),
            validated=directory(candidate("{i}", "{c}", "validated_dir")),
        log:
            candidate_log("candidate_validate"),
        message:
            "Slot {wildcards.i}: validate reward-code candidate {wildcards.c}"
        params:
            env=ENV,
            llm=candidate_llm_args,
            folder=candidate_dir,
        benchmark:
            candidate_benchmark("candidate_validate")
        resources:
            **SLURM,
            mem_mb=res("llm", "mem_mb", 4000),
            runtime=res("llm", "runtime", 60),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot candidate_validate --env {params.env} {params.llm} "
            "--proposal {input.proposal} --candidate-dir {params.folder} > {log} 2>&1"
