# One commit per round: every slot of the round accepted or rejected (with its reason) into
# the library.json of the round's last slot. K=1: every slot commits itself.


def round_inputs(wildcards):
    """What commit reads of every slot of the round (by layout key)."""
    keys = ["proposal", "validation", "validated_dir", "plan", "train", "checkpoint", "eval"]
    if ANALYSE:
        keys.append("analysis")
    return [slot(j, key) for j in SLOTS.round_members(int(wildcards.i)) for key in keys]


def round_dirs(wildcards):
    return " ".join(slot(j) for j in SLOTS.round_members(int(wildcards.i)))


rule commit:
    input:
        previous=prev_library,
        slots=round_inputs,
    output:
        library=slot("{i}", "library"),
    log:
        slot_log("commit"),
    params:
        slot_dirs=round_dirs,
    wildcard_constraints:
        i="|".join(str(i) for i in SLOTS.commit_slots),
    shell:
        "{FLOWRL} slot commit --env {ENV} --previous {input.previous} "
        "--slot-dirs {params.slot_dirs} --out {output.library} > {log} 2>&1"
