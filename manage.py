#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    # manage.py is the developer's door: without a DEBUG of its own it runs in development mode (and so
    # with the development SECRET_KEY). Production sets DEBUG=false explicitly (docker-compose.yml, the
    # Dockerfile), and gunicorn and Celery load the settings without passing through here.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
