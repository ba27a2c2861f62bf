"""DRF parsers: multipart streamed to blob storage (a part named "." or ".." kept), JSON bounded in depth."""

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser


def get_encoding(parser_context) -> str:
    return parser_context.get("encoding", settings.DEFAULT_CHARSET)


class _KeepDotNamesParser(DjangoMultiPartParser):
    def sanitize_file_name(self, file_name):
        # Django drops a file part named "." or ".."; a supplier's file must not vanish for its name.
        # It gets the name DESIGN.md gives a name made only of dots.
        stripped = file_name.rsplit("/")[-1].rsplit("\\")[-1]
        if stripped in {".", ".."}:
            return "upload"
        return super().sanitize_file_name(file_name)


class StreamingMultiPartParser(MultiPartParser):
    """Files stream through the configured upload handlers (into blob storage), never into memory."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = get_encoding(parser_context)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _KeepDotNamesParser(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
            return DataAndFiles(data, files)
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser; a body nested deeper than Python's recursion limit is a 400 parse error
    (DRF catches ValueError only: `[[[[...` 100,000 deep was a RecursionError, a logged 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
