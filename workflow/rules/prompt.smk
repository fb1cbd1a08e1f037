# Slot i's prompt: the library after the previous round, plus the proposals of the slots
# proposed before i in the same round (so parallel siblings differ).


rule prompt:
    input:
        library=prev_library,
        siblings=siblings,
    output:
        prompt=slot("{i}", "prompt"),
    log:
        slot_log("prompt"),
    resources:
        mem_mb=res("llm", "mem_mb", 2000),
        runtime=res("llm", "runtime", 30),
    params:
        env=ENV,
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl slot prompt --env {params.env} --library {input.library} "
        "--siblings {input.siblings} --out {output.prompt} > {log} 2>&1"
