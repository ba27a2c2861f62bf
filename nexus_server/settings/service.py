"""The server's own behaviour: links, direct uploads, the orphan sweep, locales, harvests, ingests."""

from .base import env

NEXUS_LINK_TTL_SECONDS = env.int("NEXUS_LINK_TTL_SECONDS", default=3600)
# Direct uploads: files up to this size get one pre-signed PUT, larger ones parts of this size
# (rounded down to whole MiB, at least 5 MiB: S3's minimum, and what dvuploader's reads need).
NEXUS_DIRECT_UPLOAD_PART_BYTES = env.int("NEXUS_DIRECT_UPLOAD_PART_BYTES", default=64 * 1024 * 1024)
# Bytes no row references are removed by the sweep once they are this old.
NEXUS_ORPHAN_GRACE_SECONDS = env.int("NEXUS_ORPHAN_GRACE_SECONDS", default=24 * 3600)
NEXUS_DEMO_TOKEN = env("NEXUS_DEMO_TOKEN", default=None)
# Descriptions are shown in this locale when neither the request nor the user's world names one.
NEXUS_DEFAULT_LOCALE = env("NEXUS_DEFAULT_LOCALE", default="nl-NL")
# The locales a request may name (besides the default and the worlds' locales); others are a 400.
NEXUS_LOCALES = env.list("NEXUS_LOCALES", default=["nl-NL", "en-IE", "en-GB", "en-US", "de-DE", "fr-FR"])
# Harvests: attempts before a run is failed, the first retry's delay (doubling after), HTTP timeouts.
NEXUS_HARVEST_MAX_ATTEMPTS = env.int("NEXUS_HARVEST_MAX_ATTEMPTS", default=3)
NEXUS_HARVEST_RETRY_SECONDS = env.float("NEXUS_HARVEST_RETRY_SECONDS", default=30.0)
NEXUS_HARVEST_TIMEOUT_SECONDS = env.float("NEXUS_HARVEST_TIMEOUT_SECONDS", default=60.0)
# Ingests (uploads and harvest runs): deliveries that stopped their worker (killed, out of memory,
# hard time limit) before the ingest is failed; the wait before a delivery that finds the source's
# ingest lock taken tries again.
NEXUS_INGEST_MAX_DELIVERIES = env.int("NEXUS_INGEST_MAX_DELIVERIES", default=3)
NEXUS_INGEST_LOCK_RETRY_SECONDS = env.float("NEXUS_INGEST_LOCK_RETRY_SECONDS", default=5.0)
# KNMI daily data: days asked again before the newest stored day, and the first harvest's window.
NEXUS_KNMI_OVERLAP_DAYS = env.int("NEXUS_KNMI_OVERLAP_DAYS", default=3)
NEXUS_KNMI_FIRST_DAYS = env.int("NEXUS_KNMI_FIRST_DAYS", default=30)

# Dataverse: the persistent ids minted for new datasets (doi:<authority>/<shoulder><6 characters>, as
# Dataverse's FAKE / DataCite providers with `dataverse.pid.*.authority` and `.shoulder`).
NEXUS_DATAVERSE_PID_AUTHORITY = env("NEXUS_DATAVERSE_PID_AUTHORITY", default="10.5072")
NEXUS_DATAVERSE_PID_SHOULDER = env("NEXUS_DATAVERSE_PID_SHOULDER", default="FK2/")
# Dataverse: whether the root collection's store takes direct uploads (`upload-redirect`); off, as a
# stock Dataverse's file store: clients then upload natively. A collection may say otherwise.
NEXUS_DATAVERSE_DIRECT_UPLOAD = env.bool("NEXUS_DATAVERSE_DIRECT_UPLOAD", default=False)
