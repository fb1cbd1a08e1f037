# One commit per round: every slot of the round accepted or rejected (with its reason) into
# the library.json of the round's last slot. K=1: every slot commits itself.

# Inputs: round_inputs, round_dirs (common.smk).


rule commit:
    input:
        previous=prev_library,
        slots=round_inputs,
    output:
        library=slot("{i}", "library"),
    log:
        slot_log("commit"),
    params:
        env=ENV,
        slot_dirs=round_dirs,
    wildcard_constraints:
        i="|".join(str(i) for i in SLOTS.commit_slots),
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl slot commit --env {params.env} --previous {input.previous} "
        "--slot-dirs {params.slot_dirs} --out {output.library} > {log} 2>&1"
