#!/usr/bin/env python
"""Django's command-line entry point for the Nexus Upload Server."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")
    from nexus_server.embedded import prepare

    prepare()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
