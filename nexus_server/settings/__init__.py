"""Settings, all from environment variables, with embedded defaults that need no server; split by
concern. Importing them only reads (the environment and var/secret_key): `nexus_server.embedded`
prepares var/ from the entry points."""

from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .database import *  # noqa: F403
from .limits import *  # noqa: F403
from .logs import *  # noqa: F403
from .metrics import *  # noqa: F403
from .service import *  # noqa: F403
from .storage import *  # noqa: F403
from .tasks import *  # noqa: F403
