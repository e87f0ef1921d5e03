"""``frontier-review registry``: see registered models and versions."""

from __future__ import annotations

from frontier_review.cli.common import Group, container, handle_errors, print_table
from frontier_review.kernel.principal import Principal

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("list")
@handle_errors
def list_() -> None:
    """Every model version with its status and declared facts."""
    from rich.table import Table

    from frontier_review.registry import service

    c = container()
    with c.uow() as uow:
        models = service.list_models(uow, Principal.system("cli"))
    table = Table(title="model versions")
    for col in ("developer", "model:label", "status", "facts", "version id"):
        table.add_column(col)
    for model in models:
        for v in model.versions:
            facts = ", ".join(f"{f.name}={f.value}" for f in v.facts if f.name != "notes")
            table.add_row(model.organization_name, f"{model.name}:{v.label}", v.status.value, facts, str(v.id))
    print_table(table)
