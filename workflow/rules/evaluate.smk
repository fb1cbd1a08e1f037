# Fresh episodes of the trained plan: eval.json (+ rollout.gif of a successful episode).


rule evaluate:
    input:
        train=slot("{i}", "train.json"),
    output:
        slot("{i}", "eval.json"),
    params:
        slot_dir=lambda w: slot(w.i),
        episodes=config["evaluate"]["num_episodes"],
        steps=(
            f"--max-episode-steps {config['evaluate']['max_episode_steps']}"
            if config["evaluate"].get("max_episode_steps")
            else ""
        ),
        gif="--gif" if config["evaluate"].get("gif", True) else "--no-gif",
        seed=config.get("seed", 0),
    benchmark:
        slot("{i}", "benchmarks/evaluate.tsv")
    threads: res("evaluate", "threads", 2)
    resources:
        **SLURM,
        gpu=res("evaluate", "gpu", 1),
        mem_mb=res("evaluate", "mem_mb", 16000),
        runtime=res("evaluate", "runtime", 60),
    shell:
        "{FLOWRL} slot evaluate --train {input.train} --slot-dir {params.slot_dir} "
        "--episodes {params.episodes} --seed {params.seed} {params.steps} {params.gif}"
