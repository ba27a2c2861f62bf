"""Primitives every app may use and that import no app: errors and the dialects' error bodies, the
exception handler, parsers, pagination, formats, limits, log redaction and task dispatch on commit."""
