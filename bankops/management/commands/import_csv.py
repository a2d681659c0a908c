from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lib.admin_import import csv_importers
from lib.csvimport import ENCODINGS, ImportRejected


class Command(BaseCommand):
    help = (
        "Import a CSV file (UTF-8 or GB18030), all or nothing: if any row is bad nothing is written and every bad row "
        "is listed with its line, column and what was expected."
    )

    def add_arguments(self, parser):
        # The kinds are those the admin offers an upload for: each import is declared once, on its ModelAdmin.
        parser.add_argument("kind", choices=sorted(csv_importers()), help="what the file holds")
        parser.add_argument("file", help="path of the CSV file")
        parser.add_argument(
            "--encoding",
            choices=ENCODINGS,
            default="auto",
            help="utf-8 (with or without BOM), gb18030 (GBK, what Chinese Excel saves), or auto (the default): "
            "UTF-8 if the whole file is UTF-8, else GB18030",
        )

    def handle(self, *args, kind: str, file: str, encoding: str = "auto", **options):
        try:
            result = csv_importers()[kind](file, encoding=encoding)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file")
        except ImportRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(f"{file}: {len(rejected.problems)} problem(s); nothing was imported")
        self.stdout.write(self.style.SUCCESS(f"{file}: {kind}: {result}"))
