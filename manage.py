#!/usr/bin/env python
import os
import sys

# Commands that neither serve nor touch stored data run on a bare checkout with throw-away
# keys (tempostar.settings); `check --deploy` is not one of them.
OFFLINE_COMMANDS = {
    "check",
    "makemigrations",
    "makemessages",
    "compilemessages",
    "showmigrations",
    "sqlmigrate",
    "help",
    "version",
}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tempostar.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS and "--deploy" not in sys.argv:
        os.environ.setdefault("TEMPOSTAR_OFFLINE_COMMAND", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
