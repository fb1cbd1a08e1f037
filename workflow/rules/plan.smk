# The resolver turns the new skill into ordered steps over the library; compiled for training.


rule plan:
    input:
        library=prev_library,
        proposal=slot("{i}", "proposal"),
        validation=slot("{i}", "validation"),
        validated=slot("{i}", "validated_dir"),
    output:
        plan=slot("{i}", "plan"),
        module=slot("{i}", "plan_module"),
    log:
        slot_log("plan"),
    params:
        env=ENV,
    conda:
        "../envs/flowrl.yaml"
    shell:
        "python -m flowrl slot plan --env {params.env} --library {input.library} --proposal {input.proposal} "
        "--validation {input.validation} --out {output.plan} --module {output.module} "
        "> {log} 2>&1"
