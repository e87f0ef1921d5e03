"""``frontier-review admin``: operator commands (run on the server, as the platform itself)."""

from __future__ import annotations

import getpass
from datetime import UTC

import click

from frontier_review.cli.common import EnumChoice, Group, container, echo, fail, handle_errors
from frontier_review.identity.domain import Sector
from frontier_review.kernel.ids import parse_id
from frontier_review.kernel.principal import OrgKind, Principal, Role

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


def _password(value: str | None, prompt: str = "Password") -> str:
    if value:
        return value
    first = getpass.getpass(f"{prompt}: ")
    if first != getpass.getpass(f"{prompt} (again): "):
        raise fail("passwords do not match")
    return first


def _org_id(value: str) -> object:
    """An organization given by id or by exact name."""
    from frontier_review.identity import service as identity

    c = container()
    with c.uow() as uow:
        for org in identity.list_organizations(uow, Principal.system("cli")):
            if str(org.id) == value or org.name.casefold() == value.casefold():
                return org.id
    raise fail(f"no organization {value!r}")


@app.command("bootstrap")
@click.option("--email", required=True, help="The operator's e-mail address.")
@click.option("--full-name", default="Platform Operator", help="Display name.")
@click.option("--password", help="Password (prompted when omitted; prefer the prompt).")
@handle_errors
def bootstrap(email: str, full_name: str, password: str | None) -> None:
    """Create the first superuser of a new instance."""
    from frontier_review.identity import service as identity

    c = container()
    with c.uow() as uow:
        view = identity.bootstrap_superuser(uow, email=email, full_name=full_name, password=_password(password))
    echo(f"superuser {view.email} created")


@app.command("bootstrap-cleared")
@click.option("--org", required=True, help="The program office (id or name).")
@click.option("--email", required=True, help="The cleared admin's e-mail address.")
@click.option("--full-name", required=True, help="Display name.")
@click.option("--password", help="Initial password (prompted when omitted; prefer the prompt).")
@handle_errors
def bootstrap_cleared(org: str, email: str, full_name: str, password: str | None) -> None:
    """Create the first cleared program-office admin, once; later clearances are granted by cleared admins."""
    from frontier_review.identity import service as identity

    org_id = parse_id(str(_org_id(org)), field="org")
    c = container()
    with c.uow() as uow:
        view = identity.bootstrap_cleared_admin(
            uow, org_id=org_id, email=email, full_name=full_name, password=_password(password)
        )
    echo(f"cleared admin {view.email} created in {view.organization_name}: {view.id}")
    echo("They should sign in and change this password now; they grant every further clearance.")


@app.command("create-org")
@click.option("--name", required=True, help="Organization name (unique).")
@click.option(
    "--kind", type=EnumChoice(OrgKind), required=True, help="developer | program_office | agency | partner | clearinghouse"
)
# Sixteen sectors: listed in the help, not in a metavar too wide for the option column.
@click.option("--sector", type=EnumChoice(Sector), metavar="SECTOR", help=f"CISA sector (partners only): {', '.join(Sector)}.")
@click.option("--law-enforcement", is_flag=True, help="An agency that enforces the law (incidents may be referred to it).")
@handle_errors
def create_org(name: str, kind: OrgKind, sector: Sector | None, law_enforcement: bool) -> None:
    """Create an organization."""
    from frontier_review.identity import service as identity

    c = container()
    with c.uow() as uow:
        view = identity.create_organization(
            uow, Principal.system("cli"), name=name, kind=kind, sector=sector, law_enforcement=law_enforcement
        )
    echo(f"organization {view.name} ({view.kind.value}) created: {view.id}")


@app.command("create-user")
@click.option("--org", required=True, help="Organization id or name.")
@click.option("--email", required=True)
@click.option("--full-name", required=True)
@click.option("--role", type=EnumChoice(Role), default=Role.MEMBER.value)
@click.option("--password", help="Password (prompted when omitted).")
@handle_errors
def create_user(org: str, email: str, full_name: str, role: Role, password: str | None) -> None:
    """Create a user in an organization (never a cleared one: see ``bootstrap-cleared``)."""
    from frontier_review.identity import service as identity

    org_id = _org_id(org)
    c = container()
    with c.uow() as uow:
        view = identity.create_user(
            uow,
            Principal.system("cli"),
            org_id=parse_id(str(org_id), field="org"),
            email=email,
            full_name=full_name,
            password=_password(password),
            role=role,
        )
    echo(f"user {view.email} created in {view.organization_name}: {view.id}")


@app.command("issue-token")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--days", type=click.IntRange(1, 366), help="Days until it expires (default FR_TOKEN_DEFAULT_DAYS).")
@handle_errors
def issue_token(email: str, name: str, days: int | None) -> None:
    """Issue an API token for a user; it is printed once and never stored."""
    from frontier_review.identity import service as identity

    c = container()
    system = Principal.system("cli")
    with c.uow() as uow:
        user = identity.find_user_by_email(uow, system, email)
        if user is None:
            raise fail(f"no user {email!r}")
        view, plaintext = identity.issue_token(uow, system, user_id=user.id, name=name, expires_in_days=days)
    echo(f"token {view.display} for {email}, expires {view.expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC:")
    echo(plaintext)
