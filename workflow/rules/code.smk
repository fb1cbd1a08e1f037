# The LLM writes the skill's reward / termination code.


rule code:
    input:
        proposal=slot("{i}", "proposal.json"),
        library=prev_library,
    output:
        slot("{i}", "skill.py"),
    params:
        llm=llm_args,
    benchmark:
        slot("{i}", "benchmarks/code.tsv")
    resources:
        mem_mb=res("llm", "mem_mb", 4000),
        runtime=res("llm", "runtime", 60),
    shell:
        "{FLOWRL} slot code --env {ENV} {params.llm} --proposal {input.proposal} "
        "--library {input.library} --out {output}"
