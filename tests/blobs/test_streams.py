"""The one hashed copy of blobs: counted, limited, exact-length and multi-hash in one pass."""

import hashlib
import io

import pytest

from blobs.streams import Copied, LimitExceeded, ShortStream, copy_hashed

DATA = bytes(range(256)) * 9000  # a little over 2 MiB: several chunks


class Collect:
    def __init__(self):
        self.data = bytearray()

    def write(self, chunk):
        self.data += chunk


def test_a_reader_is_copied_with_every_digest_asked_for():
    sink = Collect()
    copied = copy_hashed(io.BytesIO(DATA), sink, hashes=("md5", "sha1", "sha256", "sha512"))
    assert bytes(sink.data) == DATA
    assert copied == Copied(
        size=len(DATA),
        digests={name: hashlib.new(name, DATA).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")},
    )


def test_chunks_are_copied_and_measuring_needs_no_sink():
    copied = copy_hashed(iter([b"ab", b"", b"c"]))
    assert copied == Copied(size=3, digests={"sha256": hashlib.sha256(b"abc").hexdigest()})


def test_the_byte_limit_stops_the_copy_before_the_sink_gets_more():
    sink = Collect()
    with pytest.raises(LimitExceeded) as caught:
        copy_hashed(io.BytesIO(DATA), sink, max_bytes=1024 * 1024 + 1, chunk_size=1024 * 1024)
    assert caught.value.limit == 1024 * 1024 + 1
    assert len(sink.data) == 1024 * 1024
    assert copy_hashed(io.BytesIO(DATA), max_bytes=len(DATA)).size == len(DATA)


def test_an_exact_length_reads_no_further_and_a_short_source_says_how_short():
    source = io.BytesIO(b"abcdef")
    assert copy_hashed(source, length=4, hashes=("md5",)).digests == {"md5": hashlib.md5(b"abcd").hexdigest()}
    assert source.read() == b"ef"
    with pytest.raises(ShortStream) as caught:
        copy_hashed(io.BytesIO(b"abc"), length=10)
    assert caught.value.missing == 7
