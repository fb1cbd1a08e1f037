# candidates: K > 1. Candidate c planned, trained for the probe budget
# (candidate_probe_fraction of total_timesteps) and evaluated on fresh episodes. One job per
# candidate, declaring a GPU like `train`, so SLURM trains the candidates in parallel.

if CANDIDATES > 1:

    rule candidate_probe:
        input:
            library=prev_library,
            proposal=slot("{i}", "proposal"),
            validation=candidate("{i}", "{c}", "validation"),
            validated=candidate("{i}", "{c}", "validated_dir"),
        output:
            plan=candidate("{i}", "{c}", "plan"),
            module=candidate("{i}", "{c}", "plan_module"),
            status=candidate("{i}", "{c}", "train"),
            metrics=candidate("{i}", "{c}", "metrics"),
            checkpoint=directory(candidate("{i}", "{c}", "checkpoint")),
            eval=candidate("{i}", "{c}", "eval"),
        log:
            candidate_log("candidate_probe"),
        message:
            "Slot {wildcards.i}: probe-train reward-code candidate {wildcards.c}"
        params:
            env=ENV,
            tree=above("status", 4),  # {tree}/skill_{i}/candidates/c{c}/train.json
            folder=candidate_dir,
            profile=config["train"]["profile"],
            settings=as_arg(PROBE_SETTINGS),
            episodes=config["evaluate"]["num_episodes"],
            steps=(
                f"--max-episode-steps {config['evaluate']['max_episode_steps']}"
                if config["evaluate"].get("max_episode_steps")
                else ""
            ),
            seed=config.get("seed", 0),
        benchmark:
            candidate_benchmark("candidate_probe")
        threads: res("train", "threads", 4)
        resources:
            **SLURM,
            gpu=res("train", "gpu", 1),
            mem_mb=res("train", "mem_mb", 32000),
            runtime=res("train", "runtime", 720),
        conda:
            "../envs/flowrl.yaml"
        shell:
            "FLOWRL_JOB_GPUS={resources.gpu} python -m flowrl slot candidate_probe --env {params.env} --tree {params.tree} --library {input.library} "
            "--proposal {input.proposal} --candidate-dir {params.folder} "
            "--profile {params.profile} --settings {params.settings} "
            "--num-episodes {params.episodes} --seed {params.seed} {params.steps} > {log} 2>&1"
