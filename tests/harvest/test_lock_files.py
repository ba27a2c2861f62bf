"""The embedded default's lock files: one holder at a time, and none left behind once released."""

import pytest

from harvest.locks import LockBusy, _file_lock


@pytest.fixture
def lock_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "locks"


def test_a_released_lock_leaves_no_file(lock_dir):
    # One lock per harvest run: a file left per run would grow without bound.
    for run_id in range(5):
        with _file_lock(f"run-{run_id}"):
            assert (lock_dir / f"run-{run_id}.lock").exists()
    assert sorted(lock_dir.iterdir()) == []


def test_a_held_lock_is_busy_for_another_holder_and_free_after(lock_dir):
    with _file_lock("ingest-7"):
        with pytest.raises(LockBusy), _file_lock("ingest-7"):
            pass
        assert (lock_dir / "ingest-7.lock").exists()  # the refused attempt took nothing away
        with pytest.raises(LockBusy), _file_lock("ingest-7"):
            pass
    with _file_lock("ingest-7"):
        pass
    assert sorted(lock_dir.iterdir()) == []
