# Slot i's prompt: the library after the previous round, plus the proposals of the slots
# proposed before i in the same round (so parallel siblings differ).


rule prompt:
    input:
        library=prev_library,
        siblings=lambda w: [slot(j, "proposal.json") for j in SLOTS.siblings_before(int(w.i))],
    output:
        slot("{i}", "prompt.json"),
    resources:
        mem_mb=res("llm", "mem_mb", 2000),
        runtime=res("llm", "runtime", 30),
    shell:
        "{FLOWRL} slot prompt --env {ENV} --library {input.library} "
        "--siblings {input.siblings} --out {output}"
