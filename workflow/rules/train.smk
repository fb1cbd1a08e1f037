# PPO on the plan (one expert per skill), warm-started from the library's checkpoints.
# Declares a GPU so executors (SLURM) place it on a GPU node.


rule train:
    input:
        **({"candidates": slot("{i}", "candidates")} if CANDIDATES > 1 else {}),
        plan=slot("{i}", "plan"),
        module=slot("{i}", "plan_module"),
        library=prev_library,
        # candidates: K > 1: the winner continues from its probe's checkpoint
    output:
        status=slot("{i}", "train"),
        metrics=slot("{i}", "metrics"),
        checkpoint=directory(slot("{i}", "checkpoint")),
    log:
        slot_log("train"),
    message:
        "Slot {wildcards.i}: train the plan's experts (PPO)"
    params:
        slot_dir=slot_dir,
        profile=config["train"]["profile"],
        settings=as_arg(train_settings(config)),
    benchmark:
        slot_benchmark("train")
    threads: res("train", "threads", 4)
    resources:
        **SLURM,
        gpu=res("train", "gpu", 1),
        mem_mb=res("train", "mem_mb", 32000),
        runtime=res("train", "runtime", 720),
    shell:
        "{FLOWRL} slot train --env {ENV} --tree {TREE} --plan {input.plan} "
        "--module {input.module} --slot-dir {params.slot_dir} --profile {params.profile} "
        "--settings {params.settings} {WANDB} > {log} 2>&1"
