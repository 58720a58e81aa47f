"""`onetrip import FILE --org CODE`: an organisation's file read here, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.common.errors import ApplicationError, command_error
from onetrip.common.identifiers import validate_uscc
from onetrip.portal.reporting.models import ImportSource, Organisation, ReportImport
from onetrip.portal.reporting.services import import_create, import_progress, import_run


def _bar(report_import: ReportImport) -> None:
    figures = import_progress(report_import)
    filled = figures["percent"] * 30 // 100
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (30 - filled)}] {figures['percent']:3d}%  "
        f"读取 read {figures['rows_read']}  有效 valid {figures['rows_valid']}  "
        f"未通过 rejected {figures['rows_rejected']}  "
        f"已入库 applied {figures['rows_applied']}"
    )
    sys.stderr.flush()


class Command(BaseCommand):
    help = (
        "Read an organisation's .xlsx, .xls or .csv file here, with a progress bar, and forward "
        "its valid rows to the police zone, as an upload on the portal does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="the organisation's credit code")
        parser.add_argument("--dry-run", action="store_true", help="check only, send nothing")
        parser.add_argument("--errors", type=Path, help="write the error report (.xlsx) here")

    def handle(self, *args: object, **options: object) -> None:
        path = options["file"]
        assert isinstance(path, Path)
        try:
            credit_code = validate_uscc(str(options["org"]))
            organisation = Organisation.objects.filter(credit_code=credit_code).first()
            if organisation is None:
                raise CommandError(f"没有该单位 / no organisation {credit_code}")
            if path.stat().st_size > int(settings.ONETRIP_REPORT_MAX_BYTES):
                raise CommandError("文件过大 / the file is too large")
            report_import, created = import_create(
                organisation=organisation,
                source=ImportSource.COMMAND,
                filename=path.name,
                content=path.read_bytes(),
                dry_run=bool(options["dry_run"]),
                run=False,
            )
            if not created:
                self.stdout.write(
                    f"该文件已导入过（批次 {report_import.reference}），本次未作任何更改 / "
                    f"this file was imported before ({report_import.reference}); nothing changed"
                )
            report_import = import_run(reference=report_import.reference, progress=_bar)
        except ApplicationError as exc:
            raise command_error(exc) from exc
        except OSError as exc:
            raise CommandError(f"无法读取文件 / cannot read the file: {exc.strerror}") from exc
        sys.stderr.write("\n")
        figures = import_progress(report_import)
        if report_import.refusal_code:
            self.stdout.write(f"文件无法读取 / refused: {report_import.refusal_zh}")
        self.stdout.write(
            f"批次 import {figures['reference']}: {figures['status_label']} · "
            f"读取 read {figures['rows_read']} · 有效 valid {figures['rows_valid']} · "
            f"未通过 rejected {figures['rows_rejected']}"
        )
        errors = options.get("errors")
        if isinstance(errors, Path) and figures["rows_rejected"]:
            from onetrip.portal.reporting.services import import_error_report

            with errors.open("wb") as out:
                import_error_report(report_import=report_import, out=out)
            self.stdout.write(f"错误报告 error report: {errors}")
