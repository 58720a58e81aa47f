"""`onetrip` — the one command for operators.

`onetrip up` runs the whole demo; anything else is a Django management command run in a zone:
`onetrip --zone police ferry status`, `onetrip --zone portal migrate`. The zone may also come from
ONETRIP_ZONE. `onetrip import FILE --org CODE` reads an organisation's file on the portal.
"""

import os
import sys

ZONES = ("portal", "police", "test")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["up"]:
        from onetrip.devserver import up

        return up(args[1:])
    zone = os.environ.get("ONETRIP_ZONE", "")
    if args[:1] == ["--zone"] and len(args) > 1:
        zone, args = args[1], args[2:]
    elif args and args[0].startswith("--zone="):
        zone, args = args[0].split("=", 1)[1], args[1:]
    if args[:1] == ["import"]:
        zone, args = zone or "portal", ["report_import", *args[1:]]
    if zone not in ZONES:
        print(
            "onetrip: 请用 --zone portal|police 指明区域 (choose a zone with --zone portal|police)",
            file=sys.stderr,
        )
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = f"onetrip.settings.{zone}"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["onetrip", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
