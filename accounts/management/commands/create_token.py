"""`manage.py create_token --user NAME [--name LABEL] [--expires-days N]`: prints a new token once."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--name", default="default", help="a label for the token")
        parser.add_argument("--expires-days", type=int, default=None, help="expire after this many days")

    def handle(self, *args, user, name, expires_days, **options):
        try:
            owner = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"No user named {user!r}.") from None
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        issued = token_create(user=owner, name=name, expires_at=expires_at)
        self.stdout.write(issued.raw)
