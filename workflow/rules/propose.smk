# The LLM proposes the next skill and its spec (cached, logged in llm_calls.jsonl).


rule propose:
    input:
        prompt=slot("{i}", "prompt"),
        library=prev_library,
    output:
        proposal=slot("{i}", "proposal"),
    log:
        slot_log("propose"),
    message:
        "Slot {wildcards.i}: {LLM} proposes a skill"
    params:
        env=ENV,
        llm=llm_args,
    benchmark:
        slot_benchmark("propose")
    resources:
        mem_mb=res("llm", "mem_mb", 4000),
        runtime=res("llm", "runtime", 60),
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl slot propose --env {params.env} {params.llm} --prompt {input.prompt} "
        "--library {input.library} --out {output.proposal} > {log} 2>&1"
