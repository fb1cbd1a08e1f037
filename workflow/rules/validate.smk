# Sandboxed validation with bounded LLM repair. Always writes validation.json (ok or the
# reasons); validated/skill.py exists only when ok, so a rejected slot flows on to commit.


rule validate:
    input:
        skill=slot("{i}", "skill.py"),
        proposal=slot("{i}", "proposal.json"),
    output:
        slot("{i}", "validation.json"),
    params:
        llm=llm_args,
        slot_dir=lambda w: slot(w.i),
    benchmark:
        slot("{i}", "benchmarks/validate.tsv")
    resources:
        **SLURM,
        mem_mb=res("llm", "mem_mb", 4000),
        runtime=res("llm", "runtime", 60),
    shell:
        "{FLOWRL} slot validate --env {ENV} {params.llm} --skill {input.skill} "
        "--proposal {input.proposal} --slot-dir {params.slot_dir}"
