"""Create or revoke an integration token (DOMAIN.md §7). The new key is printed once, alone on the last
line, so a script can take it with `| tail -n 1`; only its hash is stored."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from branches.models import OrgUnit
from staff.models import ApiToken
from staff.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = (
        "Create an API token for an integration: --name NAME --unit CODE --scopes read[,ingest[,admin]]. "
        "The key is printed once, alone on the last line. --revoke NAME revokes a token."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", help="a unique name, e.g. core-banking-t1")
        parser.add_argument("--unit", help="code of the unit whose subtree the token may see and feed")
        parser.add_argument(
            "--scopes",
            default=ApiToken.ScopeName.READ,
            help=f"comma-separated, of {', '.join(ApiToken.ScopeName.values)} (default: read)",
        )
        parser.add_argument("--revoke", metavar="NAME", help="revoke the token with this name instead")

    def handle(self, *args, name=None, unit=None, scopes="read", revoke=None, **options):
        if revoke:
            if name or unit:
                raise CommandError("--revoke NAME takes no --name or --unit")
            try:
                token = api_token_revoke(name=revoke)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages))
            revoked_at = timezone.localtime(token.revoked_at)
            self.stdout.write(f"Revoked token '{token.name}' ({token.prefix}…) as of {revoked_at:%Y-%m-%d %H:%M}.")
            return
        if not name or not unit:
            raise CommandError("give --name NAME and --unit CODE (or --revoke NAME)")
        org_unit = OrgUnit.objects.filter(code=unit).first()
        if org_unit is None:
            raise CommandError(f"unit '{unit}' is not known")
        try:
            token, key = api_token_create(name=name, unit=org_unit, scopes=scopes)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages))
        self.stdout.write(
            f"Created token '{token.name}' for {org_unit.code} with scopes {token.scopes}. "
            "Its key follows; it is shown only this once. Send it as 'Authorization: Token <key>'."
        )
        self.stdout.write(key)
