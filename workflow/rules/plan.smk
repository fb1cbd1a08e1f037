# The resolver turns the new skill into ordered steps over the library; compiled for training.


rule plan:
    input:
        library=prev_library,
        proposal=slot("{i}", "proposal.json"),
        validation=slot("{i}", "validation.json"),
    output:
        plan=slot("{i}", "plan.json"),
        module=slot("{i}", "plan_module.py"),
    shell:
        "{FLOWRL} slot plan --env {ENV} --library {input.library} --proposal {input.proposal} "
        "--validation {input.validation} --out {output.plan} --module {output.module}"
