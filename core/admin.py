"""Admin building blocks every app's admin may use: read-only pages and an ingest report as HTML tables."""

import json
import re

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

# The line a report's error names, in the parsers' wording: "[member: ]line N[, column 'c']: message".
_ERROR_LINE = re.compile(r"^(?:[^:\n]+?: )?line (\d+)[,:]")
# How much of the first error a list column shows (the whole list stays on the change page).
ERROR_COLUMN_CHARS = 60
# The report's keys shown as counts, in this order, with these labels; other keys follow as they come.
_COUNTS = {
    "rows_inserted": "rows inserted",
    "rows_updated": "rows updated",
    "rows_unchanged": "rows unchanged",
    "features_replaced": "features replaced",
    "frames_stored": "frames stored",
    "documents_stored": "documents stored",
    "members": "zip members",
    "attempts": "attempts",
    "duration_s": "duration (s)",
}


class ReadOnlyAdmin:
    """A ModelAdmin mixin for rows only the services write (history, stored data): the pages show
    them, with no Add, Save or Delete; a POST to a change page is refused (403)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReportDisplay:
    """A ModelAdmin mixin for rows with an ingest `report`: the list column `error` (its first error)
    and the field `ingest_report` (the report as tables)."""

    @admin.display(description="first error")
    def error(self, obj):
        return first_error(obj.report)

    @admin.display(description="ingest report")
    def ingest_report(self, obj):
        return report_table(obj.report)


def report_errors(report: dict | None) -> list[str]:
    errors = (report or {}).get("errors") or []
    return [str(error) for error in errors] if isinstance(errors, list) else [str(errors)]


def first_error(report: dict | None) -> str:
    """The report's first error, cut to ERROR_COLUMN_CHARS (a list column); '' when there is none."""
    errors = report_errors(report)
    return Truncator(errors[0]).chars(ERROR_COLUMN_CHARS) if errors else ""


def _value(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def report_table(report: dict | None) -> SafeString:
    """The report as HTML: a table of its counts (and other entries), then its errors, one a row,
    with the line number where the message names one. Everything is escaped: a report
    holds supplier text (cells, file names)."""
    report = report or {}
    if not report:
        return format_html("<p>{}</p>", "No report yet (the ingest has not ended).")
    keys = [key for key in _COUNTS if key in report]
    keys += [key for key in report if key not in _COUNTS and key != "errors"]
    counts = format_html_join(
        "", "<tr><th>{}</th><td>{}</td></tr>", ((_COUNTS.get(k, k), _value(report[k])) for k in keys)
    )
    errors = report_errors(report)
    if not errors:
        listed = format_html("<p>{}</p>", "No errors.")
    else:
        rows = []
        for number, error in enumerate(errors, start=1):
            line = _ERROR_LINE.match(error)
            rows.append((number, line.group(1) if line else "", error))
        listed = format_html(
            '<table class="ingest-errors"><thead><tr><th>#</th><th>line</th><th>error</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )
    return format_html(
        '<table class="ingest-report"><tbody>{}</tbody></table><h4>{} error(s)</h4>{}', counts, len(errors), listed
    )
