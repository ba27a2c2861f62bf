"""`manage.py seed_demo [--json]`: the seeds' example world, created idempotently by each app."""

import json

from django.core.management.base import BaseCommand

from accounts import demo as accounts_demo
from datasets import demo as datasets_demo
from files import demo as files_demo
from harvest import demo as harvest_demo
from synctasks import demo as synctasks_demo

# Each app that has demo objects contributes a `demo.seed()`; they run in dependency order.
SEEDERS = [
    ("accounts", accounts_demo.seed),
    ("synctasks", synctasks_demo.seed),
    ("datasets", datasets_demo.seed),
    ("files", files_demo.seed),
    ("harvest", harvest_demo.seed),
]


class Command(BaseCommand):
    help = "Create the demo organizations, supplier, token and each dialect's demo objects (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the ids and tokens as one JSON object"
        )

    def handle(self, *args, as_json: bool = False, **options):
        report = {}
        for _name, seed in SEEDERS:
            for key, value in seed().items():
                report.setdefault(key, {}).update(value)
        if as_json:
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
            return
        token = report["tokens"].get("supplier")
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        if token:
            self.stdout.write(f"Demo token of 'Data supplier X': {token}")
        else:
            self.stdout.write(
                "The demo token exists already (only its hash is kept); "
                "set NEXUS_DEMO_TOKEN to choose it, or run create_token --user supplier."
            )
