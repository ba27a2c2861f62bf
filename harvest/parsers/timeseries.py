"""Timeseries CSV, long (`feature,parameter,timestamp,value`) or wide (one column per parameter)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from .common import ErrorLog, OutOfRange, Timestamps, csv_header, csv_rows, parse_number

FEATURE = {"feature", "feature_key", "feature_id", "id_src", "location", "location_id", "station", "loc_id"}
PARAMETER = {"parameter", "param", "parameter_id", "variable"}
TIMESTAMP = {"timestamp", "datetime", "date_time", "time", "date", "datum"}
VALUE = {"value", "val", "waarde"}
MAX_KEY = 255  # the stored feature and parameter columns' width


@dataclass(slots=True)
class Point:
    line: int
    feature: str
    parameter: str
    timestamp: datetime
    value: float


def _key_problem(value: str) -> str | None:
    """Why a feature or parameter cannot be stored, if it cannot."""
    if not value:
        return "is empty"
    if len(value) > MAX_KEY:
        return f"is longer than {MAX_KEY} characters"
    if "\x00" in value:
        return "contains a NUL character"
    return None


def _find(header: list[str], names: set[str]) -> int | None:
    for index, name in enumerate(header):
        if name in names:
            return index
    return None


def parse_timeseries_csv(text, *, timestamps: Timestamps, log: ErrorLog) -> Iterator[Point]:
    """Yields one Point per value. Empty cells are missing values and yield nothing; bad cells are
    logged with their line and column (the caller fails the ingest once the stream has ended)."""
    first = text.readline()
    if not first.strip():
        log.add("The file is empty: a header line is expected.")
        return
    delimiter = ";" if first.count(";") > first.count(",") else ","
    decimal_comma = delimiter == ";"
    header = [name.strip().lower() for name in csv_header(first, delimiter=delimiter)]
    if any("\x00" in name for name in header):
        log.add("line 1: a column name contains a NUL character")
        return
    feature_col, time_col = _find(header, FEATURE), _find(header, TIMESTAMP)
    parameter_col, value_col = _find(header, PARAMETER), _find(header, VALUE)
    missing = [name for name, col in (("feature", feature_col), ("timestamp", time_col)) if col is None]
    if missing:
        log.add(
            f"line 1: no {' and no '.join(missing)} column in the header ({', '.join(header)}); expected e.g. "
            "feature,parameter,timestamp,value"
        )
        return
    long = parameter_col is not None and value_col is not None
    if long:
        value_columns = [(value_col, None)]
    else:
        value_columns = [
            (i, name) for i, name in enumerate(header) if i not in (feature_col, time_col) and 0 < len(name) <= MAX_KEY
        ]
        if not value_columns:
            log.add("line 1: no value columns: expected a parameter and a value column, or one column per parameter")
            return
    width = len(header)
    for line, row in csv_rows(text, delimiter=delimiter):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        feature = row[feature_col].strip()
        stamp = row[time_col]
        if problem := _key_problem(feature):
            log.add(f"line {line}, column '{header[feature_col]}': the feature {problem}")
            continue
        try:
            when = timestamps.parse(stamp)
        except OutOfRange as error:
            log.add(f"line {line}, column '{header[time_col]}': '{stamp[:60]}' {error}")
            continue
        except ValueError:
            log.add(f"line {line}, column '{header[time_col]}': '{stamp[:60]}' is not an ISO 8601 timestamp")
            continue
        for col, parameter in value_columns:
            cell = row[col].strip()
            if not cell:
                continue
            try:
                value = parse_number(cell, decimal_comma=decimal_comma)
            except ValueError:
                log.add(f"line {line}, column '{header[col]}': '{cell}' is not a number")
                continue
            if parameter is None:
                parameter = row[parameter_col].strip()
                if problem := _key_problem(parameter):
                    log.add(f"line {line}, column '{header[parameter_col]}': the parameter {problem}")
                    continue
                yield Point(line, feature, parameter, when, value)
                parameter = None
            else:
                yield Point(line, feature, parameter, when, value)
