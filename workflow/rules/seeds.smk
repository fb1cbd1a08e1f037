# Extra seeds (seeds: [0, 1, ...]): every slot's plan module is trained and evaluated once
# more per seed after the first, under skill_{i}/seeds/seed_{s}/ (layout.SEED_FILES). The
# LLM stages, the commit and warm starts use the first seed only, so seeds cost no tokens.
# Same stages as train.smk / evaluate.smk (flowrl/pipeline/stages/train.py, evaluate.py).

EXTRA_SEEDS = SEEDS[1:]

if EXTRA_SEEDS:

    rule train_seed:
        input:
            plan=slot("{i}", "plan"),
            module=slot("{i}", "plan_module"),
            library=prev_library,
        output:
            status=seed_file("{i}", "{s}", "train"),
            metrics=seed_file("{i}", "{s}", "metrics"),
            checkpoint=directory(seed_file("{i}", "{s}", "checkpoint")),
        log:
            seed_log("train"),
        message:
            "Slot {wildcards.i}, seed {wildcards.s}: train the plan's experts (PPO)"
        params:
            env=ENV,
            tree=above("status", 4),  # {tree}/skill_{i}/seeds/seed_{s}/train.json
            seed_dir=seed_dir,
            profile=config["train"]["profile"],
            settings=lambda wildcards: as_arg({**train_settings(config), "seed": int(wildcards.s)}),
        threads: res("train", "threads", 4)
        resources:
            **SLURM,
            gpu=res("train", "gpu", 1),
            mem_mb=res("train", "mem_mb", 32000),
            runtime=res("train", "runtime", 720),
        wildcard_constraints:
            s="|".join(str(s) for s in EXTRA_SEEDS),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "FLOWRL_JOB_GPUS={resources.gpu} python -m flowrl slot train --env {params.env} --tree {params.tree} --plan {input.plan} "
            "--module {input.module} --slot-dir {params.seed_dir} --profile {params.profile} "
            "--settings {params.settings} > {log} 2>&1"

    rule evaluate_seed:
        input:
            train=seed_file("{i}", "{s}", "train"),
            checkpoint=seed_file("{i}", "{s}", "checkpoint"),
        output:
            eval=seed_file("{i}", "{s}", "eval"),
        log:
            seed_log("evaluate"),
        params:
            seed_dir=seed_dir,
            episodes=EVAL["num_episodes"],
            steps=(
                f"--max-episode-steps {EVAL['max_episode_steps']}"
                if EVAL.get("max_episode_steps")
                else ""
            ),
        threads: res("evaluate", "threads", 2)
        resources:
            **SLURM,
            gpu=res("evaluate", "gpu", 1),
            mem_mb=res("evaluate", "mem_mb", 16000),
            runtime=res("evaluate", "runtime", 60),
        wildcard_constraints:
            s="|".join(str(s) for s in EXTRA_SEEDS),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "FLOWRL_JOB_GPUS={resources.gpu} python -m flowrl slot evaluate --train {input.train} --slot-dir {params.seed_dir} "
            "--num-episodes {params.episodes} --seed {wildcards.s} {params.steps} --no-gif "
            "> {log} 2>&1"
