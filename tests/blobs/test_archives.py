"""Safe archive reading: every unsafe or damaged zip is an ArchiveRefused naming the member and limit."""

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from blobs.archives import ArchiveRefused, SafeZip, ZipLimits

LIMITS = ZipLimits(members=10, member_bytes=10_000, total_bytes=15_000)


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return bytearray(buffer.getvalue())


def refusal(data, limits=LIMITS, read=True) -> str:
    with pytest.raises(ArchiveRefused) as caught:
        archive = SafeZip(io.BytesIO(bytes(data)), name="The file", limits=limits)
        if read:
            for info in archive.members:
                for _chunk in archive.chunks(info):
                    pass
    return caught.value.message


def patch_both_headers(data: bytearray, local_at: int, central_at: int, value: bytes) -> bytearray:
    """Writes `value` at a field of the local header (offset local_at) and the central one (central_at)."""
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + local_at : local + local_at + len(value)] = value
    data[central + central_at : central + central_at + len(value)] = value
    return data


def test_a_good_zip_reads_in_order_with_counted_bytes():
    data = make_zip({"b/one.csv": b"x" * 100, "two.csv": b"y" * 50})
    with SafeZip(io.BytesIO(bytes(data)), name="z", limits=LIMITS) as archive:
        assert [i.filename for i in archive.members] == ["b/one.csv", "two.csv"]
        assert [b"".join(archive.chunks(i)) for i in archive.members] == [b"x" * 100, b"y" * 50]
        assert archive.read_total == 150
        with archive.open(archive.members[1]) as reader:
            assert (reader.read(10), reader.read(100), reader.read(1)) == (b"y" * 10, b"y" * 40, b"")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/passwd", "has an absolute path or '..' in its path"),
        ("a/../../b.csv", "has an absolute path or '..' in its path"),
        ("..", "has an absolute path or '..' in its path"),
        ("C:/windows/b.csv", "has an absolute path or '..' in its path"),
        ("c:b.csv", "has an absolute path or '..' in its path"),
        ("a\\..\\b.csv", "has a backslash in its path"),
        ("a\x01b.csv", "has a control character in its path"),
        ("a" * 1025, "has a path longer than 1024 characters (the limit)"),
    ],
)
def test_unsafe_member_paths(name, reason):
    assert refusal(make_zip({name: b"x"}), read=False) == f"Zip member '{name}' {reason}."


def test_an_encrypted_member():
    data = patch_both_headers(make_zip({"a.csv": b"secret"}), 6, 8, struct.pack("<H", 1))
    assert refusal(data, read=False) == "Zip member 'a.csv' is encrypted; encrypted zips are not read."


def test_an_unknown_compression_method():
    data = patch_both_headers(make_zip({"a.csv": b"x" * 10}), 8, 10, struct.pack("<H", 99))
    assert refusal(data, read=False) == (
        "Zip member 'a.csv' uses compression method 99, which is not supported (stored, deflate, bzip2 and lzma are)."
    )


def test_a_bad_crc_names_the_member():
    data = make_zip({"a.csv": b"hello world"}, compression=zipfile.ZIP_STORED)
    at = data.find(b"hello world")
    data[at] = ord("j")
    assert refusal(data) == "Zip member 'a.csv' cannot be read: Bad CRC-32 for file 'a.csv'."


def test_a_damaged_deflate_stream_names_the_member():
    data = make_zip({"a.csv": bytes(range(256)) * 30})
    local = data.find(b"PK\x03\x04")
    data[local + 30 + 5 : local + 30 + 25] = b"\xff" * 20
    message = refusal(data)
    assert message.startswith("Zip member 'a.csv' cannot be read: ")


@pytest.mark.parametrize("cut", [10, 100, 400])
def test_a_truncated_zip(cut):
    data = make_zip({"a.csv": bytes(range(256)) * 4, "b.csv": b"b" * 100})
    message = refusal(data[:-cut])
    assert "not a readable zip archive" in message


def test_a_member_that_lies_past_the_directory_is_refused():
    data = make_zip({"a.csv": b"x" * 1000})
    central = data.find(b"PK\x01\x02")
    data[central + 20 : central + 24] = struct.pack("<I", 10**6)  # compress_size, central directory only
    assert refusal(data, read=False) == "Zip member 'a.csv' runs past the end of the archive's data (truncated zip?)."


def test_counts_and_sizes_over_the_limits():
    many = make_zip({f"{i}.csv": b"x" for i in range(11)})
    assert refusal(many, read=False) == "The file lists 11 entries; the limit is 10 members."
    big = make_zip({"a.csv": b"x" * 10_001})
    assert refusal(big, read=False) == "Zip member 'a.csv' is 10001 bytes uncompressed; the limit is 10000 bytes."
    total = make_zip({"a.csv": b"x" * 8000, "b.csv": b"x" * 8000})
    assert refusal(total, read=False) == "The file unpacks to 16000 bytes; the limit is 15000 bytes uncompressed."


def test_a_header_that_understates_the_size_does_not_raise_the_bound():
    # The directory says 100 bytes; the stream holds 20,000: what is read is counted, not what is said.
    data = make_zip({"a.csv": b"x" * 20_000})
    data = patch_both_headers(data, 22, 24, struct.pack("<I", 100))
    message = refusal(data, limits=ZipLimits(members=10, member_bytes=1000, total_bytes=1000))
    assert message.startswith("Zip member 'a.csv' ")


def test_the_end_record_is_read_within_the_last_64_kib_and_a_comment():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", b"a")
        archive.comment = b"PK\x05\x06 not a record " * 100
    # zipfile would read a record inside the comment: refused, never another record than zipfile's.
    assert refusal(buffer.getvalue(), read=False).startswith("The file is not a readable zip archive (")
    assert refusal(b"not a zip at all", read=False) == (
        "The file is not a readable zip archive (no end of central directory: truncated?)."
    )


def test_zip64_end_records_are_read(tmp_path):
    path = tmp_path / "z64.zip"
    with zipfile.ZipFile(path, "w") as archive, archive.open("a.csv", "w", force_zip64=True) as member:
        member.write(b"a")
    data = bytearray(path.read_bytes())
    with SafeZip(io.BytesIO(bytes(data)), name="z", limits=LIMITS) as opened:
        assert [b"".join(opened.chunks(i)) for i in opened.members] == [b"a"]


def test_no_private_zipfile_api_is_used():
    root = Path(__file__).resolve().parent.parent.parent
    sources = [p for app in ("blobs", "uploads", "harvest", "datasets") for p in (root / app).rglob("*.py")]
    assert [str(p) for p in sources if "zipfile._" in p.read_text()] == []


def many_entries(count: int) -> tuple[bytes, bytes]:
    """One member's local header and data, and a central directory listing it `count` times
    (entries sharing one member's bytes)."""
    name, content = b"a.csv", b"x\n"
    crc = zlib.crc32(content)
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, 2, 2, len(name), 0) + name + content
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, 2, 2, len(name), 0, 0, 0, 0, 0, 0)
    return local, (entry + name) * count


def eocd(entries: int, size: int, offset: int, comment: bytes = b"") -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, size, offset, len(comment)) + comment


def zip64_end(entries: int, size: int, offset: int, at: int) -> bytes:
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset)
    return record + struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)


def peak_while_refused(data: bytes) -> tuple[str, int]:
    tracemalloc.start()
    try:
        message = refusal(data, read=False)
        return message, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


COUNT = 100_000  # 100,000 entries of 51 bytes: zipfile would hold 100,000 ZipInfo (tens of MB)


def test_a_plain_end_record_lying_beside_a_zip64_one_is_not_what_is_checked():
    # The plain record lists 1 entry; the zip64 record zipfile reads instead lists 100,000.
    local, directory = many_entries(COUNT)
    zip64 = zip64_end(COUNT, len(directory), len(local), at=len(local) + len(directory))
    data = local + directory + zip64 + eocd(1, 51, len(local))
    message, peak = peak_while_refused(data)
    assert peak < 8 * 1024 * 1024
    assert message == f"The file lists {COUNT} entries; the limit is 10 members."


def test_an_entry_count_lying_in_the_end_record_is_not_trusted():
    local, directory = many_entries(COUNT)
    data = local + directory + eocd(1, len(directory), len(local))
    message, peak = peak_while_refused(data)
    assert peak < 8 * 1024 * 1024
    assert message == "The file lists more than 10 entries; the limit is 10 members."


def test_an_end_record_hidden_in_another_ones_comment_is_refused():
    # A small honest record whose comment is a second record (the one zipfile reads) listing 100,000.
    local, directory = many_entries(COUNT)
    one_entry = directory[:51]
    # Its directory size reaches back over the honest record (22 bytes) and entry (51) to the big
    # directory, where zipfile would read; its comment length (0) is not the 1 byte left after it.
    fake = eocd(0xFFFE, len(directory) + 51 + 22, len(local)) + b"\xff"
    data = local + directory + one_entry + eocd(1, 51, len(local) + len(directory), comment=fake)
    message, peak = peak_while_refused(data)
    assert peak < 8 * 1024 * 1024
    assert message == "The file is not a readable zip archive (its end record's comment length is wrong)."


def test_the_directory_and_name_bounds_are_read_from_settings_at_call_time(settings):
    data = make_zip({"abcdefghij.csv": b"x", "two.csv": b"y"})
    settings.NEXUS_MAX_ZIP_NAME_CHARS = 10
    assert refusal(data) == "Zip member 'abcdefghij.csv' has a path longer than 10 characters (the limit)."
    settings.NEXUS_MAX_ZIP_NAME_CHARS = 1024
    settings.NEXUS_MAX_ZIP_DIRECTORY_BYTES = 50
    message = refusal(data)
    assert message.startswith("The file has a central directory of ") and message.endswith("the limit is 50 bytes.")


def test_the_default_limits_are_the_settings_and_a_dialect_may_lower_the_member_count(settings):
    settings.NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES = 5000
    settings.NEXUS_MAX_ZIP_MEMBERS = 7
    assert ZipLimits.default() == ZipLimits(members=7, member_bytes=5000, total_bytes=5000)
    assert ZipLimits.default(members=3) == ZipLimits(members=3, member_bytes=5000, total_bytes=5000)
