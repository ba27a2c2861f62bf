"""KNMI daily station data (daggegevens): `#` header with stations and legend, then value rows."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from .common import ErrorLog, InputRefused, in_range
from .timeseries import Point

# KNMI column -> (parameter name of the KNMI data source, factor from KNMI's units)
VARIABLES = {
    "TX": ("airtemp_max_deg_c", 0.1),
    "TG": ("airtemp_mean_deg_c", 0.1),
    "EV24": ("etref_mm_d", 0.1),
    "UG": ("hum_rel_pct", 1.0),
    "RH": ("prec_mm_d", 0.1),
    "Q": ("rad_in_s_j_cm2_d", 1.0),
    "DDVEC": ("wind_direction_deg", 1.0),
    "FHX": ("wind_speed_max_hour_mean_m_s", 0.1),
    "FXX": ("wind_speed_max_m_s", 0.1),
    "FG": ("wind_speed_mean_m_s", 0.1),
}
# -1 means "less than 0.05 mm": stored as 0.
TRACE_AS_ZERO = {"RH"}

_STATION = re.compile(r"^#\s*(\d+):?\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+(.+?)\s*$")
_HEADER = re.compile(r"^#\s*STN\s*,\s*YYYYMMDD\s*,(.*)$", re.IGNORECASE)


@dataclass
class Station:
    key: str
    lon: float
    lat: float
    alt: float
    name: str

    def as_feature(self) -> dict:
        return {
            "key": self.key,
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": {"id_src": self.key, "name": self.name, "alt": self.alt},
        }


class KnmiFile:
    """Reads the header on creation (`stations`, `columns`); `points()` then streams the rows."""

    def __init__(self, text, *, log: ErrorLog):
        self.text, self.log = text, log
        self.stations: list[Station] = []
        self.columns: list[str] = []
        self.line = 0
        # The station table is held while the rows stream: KNMI lists about 50.
        max_stations = settings.NEXUS_MAX_KNMI_STATIONS
        for raw in text:
            self.line += 1
            line = raw.rstrip("\r\n")
            if not line.startswith("#"):
                if line.strip():
                    log.add(f"line {self.line}: data before the '# STN,YYYYMMDD,...' header line")
                    return
                continue
            if match := _STATION.match(line):
                if len(self.stations) >= max_stations:
                    raise InputRefused(f"line {self.line}: more than {max_stations} stations (the limit)")
                stn, lon, lat, alt, name = match.groups()
                self.stations.append(Station(stn, float(lon), float(lat), float(alt), name))
            elif match := _HEADER.match(line):
                self.columns = ["STN", "YYYYMMDD", *[c.strip().upper() for c in match.group(1).split(",")]]
                return
        log.add("no '# STN,YYYYMMDD,...' header line: this is not a KNMI daily data file")

    def points(self) -> Iterator[Point]:
        if not self.columns:
            return
        wanted = [(i, code, *VARIABLES[code]) for i, code in enumerate(self.columns) if code in VARIABLES]
        known = {station.key for station in self.stations}
        for raw in self.text:
            self.line += 1
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            cells = [cell.strip() for cell in line.split(",")]
            stn, day = cells[0], cells[1] if len(cells) > 1 else ""
            if stn not in known:
                self.log.add(f"line {self.line}: station '{stn}' is not in the file's station table")
                continue
            try:
                when = in_range(datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC))
            except ValueError:
                self.log.add(f"line {self.line}, column 'YYYYMMDD': '{day}' is not a date")
                continue
            for index, code, parameter, factor in wanted:
                cell = cells[index] if index < len(cells) else ""
                if not cell:
                    continue
                try:
                    raw_value = int(cell)
                except ValueError:
                    self.log.add(f"line {self.line}, column '{code}': '{cell}' is not a whole number")
                    continue
                if raw_value == -1 and code in TRACE_AS_ZERO:
                    raw_value = 0
                yield Point(self.line, stn, parameter, when, round(raw_value * factor, 6))
