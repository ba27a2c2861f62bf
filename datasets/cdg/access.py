"""Who may do what in the Climate Data Gateway dialect: an api-token for every write, and who reads
a version that is not published yet."""

from core.errors import Forbidden, NotAuthenticated

from ..models import DatasetVersion, VersionState
from ..selectors import dataset_can_write


def cdg_require_token(*, user) -> None:
    """Writes need a caller known by an api-token, whatever the dataset."""
    if not user.is_authenticated:
        raise NotAuthenticated("An api-token is required (header 'authorization: api-token <token>' or ?api-token=).")


def cdg_version_readable(*, user, version: DatasetVersion) -> DatasetVersion:
    """Published versions are public; a pre-published one is read by its dataset's writers only."""
    if version.state != VersionState.PUBLISHED and not dataset_can_write(user=user, dataset=version.dataset):
        if not user.is_authenticated:
            raise NotAuthenticated(f"Version '{version.identifier}' is not published: reading it needs an api-token.")
        raise Forbidden(f"Version '{version.identifier}' is not published: only the dataset's writers read it.")
    return version
