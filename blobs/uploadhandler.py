"""Upload handler: multipart files stream straight into blob storage, hashed and counted on the way."""

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from core.dialects import CDG, DATAVERSE, DELTA, dialect_for_path

from .services import BlobWriter, StagedBlob, media_type_clean

MD5_DIALECTS = {CDG, DATAVERSE}


class StagedUploadedFile(UploadedFile):
    """An uploaded file whose bytes are already in blob storage (see `staged`), not in memory."""

    def __init__(self, *, staged: StagedBlob, name, content_type, charset, content_type_extra):
        super().__init__(
            file=None,
            name=name,
            content_type=content_type,
            size=staged.size,
            charset=charset,
            content_type_extra=content_type_extra,
        )
        self.staged = staged

    def open(self, mode="rb"):
        from .backends import get_backend

        self.file = get_backend().open_reader(self.staged.key)
        return self

    def chunks(self, chunk_size=None):
        if self.file is None:
            self.open()
        while chunk := self.file.read(chunk_size or self.DEFAULT_CHUNK_SIZE):
            yield chunk

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None


class BlobUploadHandler(FileUploadHandler):
    """Installed through FILE_UPLOAD_HANDLERS. Bytes past the limit abort the file (413); whatever a
    request staged but did not record is removed by DiscardUnrecordedUploadsMiddleware."""

    chunk_size = 1024 * 1024
    # A view may lower it (a storage's own maximum) before the body is parsed.
    max_bytes: int | None = None

    def __init__(self, request=None):
        super().__init__(request)
        self.writer: BlobWriter | None = None
        self.staged: list[StagedBlob] = []

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        # The multipart dialects take the part's type from here: one over the column's width or not a
        # media type at all (control characters, no '/') is stored as application/octet-stream. Delta
        # answers such a type itself (400, as its reference does), so it gets the type as sent.
        if self.request is None or dialect_for_path(self.request.path) != DELTA:
            content_type = media_type_clean(content_type)
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.writer = BlobWriter(
            max_bytes=self.max_bytes, media_type=content_type or "application/octet-stream", md5=self._wants_md5()
        )

    def _wants_md5(self) -> bool:
        # Only the dialects that report an MD5 (the gateway's file list, Dataverse's checksums) pay for it.
        return self.request is None or dialect_for_path(self.request.path) in MD5_DIALECTS

    def receive_data_chunk(self, raw_data, start):
        self.writer.write(raw_data)
        return None

    def file_complete(self, file_size):
        staged = self.writer.finish()
        self.writer = None
        self.staged.append(staged)
        return StagedUploadedFile(
            staged=staged,
            name=self.file_name,
            content_type=self.content_type,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def upload_interrupted(self):
        self.abort_current()

    def abort_current(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
