# The LLM proposes the next skill and its spec (cached, logged in llm_calls.jsonl).


rule propose:
    input:
        prompt=slot("{i}", "prompt.json"),
        library=prev_library,
    output:
        slot("{i}", "proposal.json"),
    params:
        llm=llm_args,
    benchmark:
        slot("{i}", "benchmarks/propose.tsv")
    resources:
        mem_mb=res("llm", "mem_mb", 4000),
        runtime=res("llm", "runtime", 60),
    shell:
        "{FLOWRL} slot propose --env {ENV} {params.llm} --prompt {input.prompt} "
        "--library {input.library} --out {output}"
