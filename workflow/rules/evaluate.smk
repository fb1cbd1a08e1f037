# Fresh episodes of the trained plan: eval.json (+ rollout.gif of a successful episode, a
# 1x1 placeholder when none succeeded; declared only when evaluate.gif is on).

EVAL = config["evaluate"]
GIF = bool(EVAL.get("gif", True))


rule evaluate:
    input:
        train=slot("{i}", "train"),
        checkpoint=slot("{i}", "checkpoint"),
    output:
        **(
            {
                "gif": report(
                    slot("{i}", "gif"),
                    caption="../report/rollout.rst",
                    category="Rollouts",
                    labels={"slot": "{i}"},
                )
            }
            if GIF
            else {}
        ),
        eval=slot("{i}", "eval"),
    log:
        slot_log("evaluate"),
    params:
        slot_dir=slot_dir,
        episodes=EVAL["num_episodes"],
        steps=(
            f"--max-episode-steps {EVAL['max_episode_steps']}"
            if EVAL.get("max_episode_steps")
            else ""
        ),
        gif="--gif" if GIF else "--no-gif",
        seed=SEEDS[0],
    benchmark:
        slot_benchmark("evaluate")
    threads: res("evaluate", "threads", 2)
    resources:
        **SLURM,
        gpu=res("evaluate", "gpu", 1),
        mem_mb=res("evaluate", "mem_mb", 16000),
        runtime=res("evaluate", "runtime", 60),
    conda:
        "../envs/flowrl.yaml"
    shell:
        "FLOWRL_JOB_GPUS={resources.gpu} python -m flowrl slot evaluate --train {input.train} --slot-dir {params.slot_dir} "
        "--num-episodes {params.episodes} --seed {params.seed} {params.steps} {params.gif} "
        "> {log} 2>&1"
