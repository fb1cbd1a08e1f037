# One commit per round: every slot of the round accepted or rejected (with its reason) into
# the library.json of the round's last slot. K=1: every slot commits itself.


def round_inputs(wildcards):
    members = SLOTS.round_members(int(wildcards.i))
    names = ["proposal.json", "validation.json", "plan.json", "train.json", "eval.json"]
    if config.get("analyse"):
        names.append("analysis.json")
    return [slot(j, n) for j in members for n in names]


rule commit:
    input:
        previous=prev_library,
        slots=round_inputs,
    output:
        slot("{i}", "library.json"),
    params:
        slot_dirs=lambda w: " ".join(slot(j) for j in SLOTS.round_members(int(w.i))),
    wildcard_constraints:
        i="|".join(str(i) for i in SLOTS.commit_slots),
    shell:
        "{FLOWRL} slot commit --env {ENV} --previous {input.previous} "
        "--slot-dirs {params.slot_dirs} --out {output}"
