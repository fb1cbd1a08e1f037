# Plain PPO on the game's own reward at the tree's frame budget (baseline.enabled), once per
# seed: results/<env>/baseline_ppo/frames_<F>/seed_<s>/ (layout.BASELINE_FILES), shared by
# every model's tree of that game and budget. Stage: flowrl/pipeline/stages/baseline.py.

if BASELINE:

    rule baseline:
        output:
            train=baseline_file("{s}", "train"),
            metrics=baseline_file("{s}", "metrics"),
            checkpoint=directory(baseline_file("{s}", "checkpoint")),
            eval=baseline_file("{s}", "eval"),
        log:
            baseline_log("baseline"),
        message:
            "Baseline: plain PPO, {BASELINE_FRAMES} frames, seed {wildcards.s}"
        params:
            env=ENV,
            frames=BASELINE_FRAMES,
            out=lambda wildcards: baseline_file(wildcards.s),
            profile=config["train"]["profile"],
            settings=as_arg(train_settings(config)),
            episodes=EVAL["num_episodes"],
            steps=(
                f"--max-episode-steps {EVAL['max_episode_steps']}"
                if EVAL.get("max_episode_steps")
                else ""
            ),
        wildcard_constraints:
            s="|".join(str(s) for s in SEEDS),
        threads: res("train", "threads", 4)
        resources:
            **SLURM,
            gpu=res("train", "gpu", 1),
            mem_mb=res("train", "mem_mb", 32000),
            runtime=res("train", "runtime", 720),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "FLOWRL_JOB_GPUS={resources.gpu} python -m flowrl baseline --env {params.env} --out {params.out} --frames {params.frames} "
            "--seed {wildcards.s} --profile {params.profile} --settings {params.settings} "
            "--num-episodes {params.episodes} {params.steps} > {log} 2>&1"
