# candidates: K > 1. The best probe (fresh-episode success; ties: fewer frames) wins; its
# code and validation become the slot's, so plan/train/evaluate/commit run unchanged.

if CANDIDATES > 1:

    localrules:
        select,

    rule select:
        input:
            probes=candidate_results,
        output:
            skill=slot("{i}", "skill"),
            status=slot("{i}", "code_status"),
            reward_plan=slot("{i}", "reward_plan"),
            validation=slot("{i}", "validation"),
            validated=directory(slot("{i}", "validated_dir")),
            candidates=slot("{i}", "candidates"),
        log:
            slot_log("select"),
        params:
            candidates=CANDIDATES,
            slot_dir=slot_dir,
            probe=PROBE_SETTINGS["total_timesteps"],
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot select --slot-dir {params.slot_dir} --candidates {params.candidates} "
            "--probe-timesteps {params.probe} > {log} 2>&1"
