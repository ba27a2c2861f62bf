"""What an API token is: its random raw value and the hash that is stored (no database)."""

import hashlib
import uuid


def token_hash(raw: str) -> str:
    """The stored form of a token. Tokens are random, so a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_generate() -> str:
    # Dataverse clients expect a UUID-shaped key; 122 random bits serve every dialect.
    return str(uuid.uuid4())
