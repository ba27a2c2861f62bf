"""Log redaction: API tokens and link signatures never reach a log line."""

import logging
import re

# Query values and headers that carry a credential, in every dialect's spelling.
_QUERY_SECRET = re.compile(
    r"(?i)\b(token|api-token|api_token|key|sig|signature|x-amz-signature|x-amz-credential)=([^&\s\"']+)"
)
_HEADER_SECRET = re.compile(r"(?i)\b(authorization:\s*(?:token|bearer|api-token)?\s*|x-dataverse-key:\s*)([^\s\"',]+)")

# A signed download or direct-upload path grants the file to whoever holds it until it expires.
_SIGNED_PATH = re.compile(r"(/blobs/(?:download|upload|direct)/)[^/\s?\"']+")

REDACTED = "[redacted]"


def redact(text: str) -> str:
    """The text with every credential-looking value replaced by a marker."""
    text = _SIGNED_PATH.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return _HEADER_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message so that no token or signature is written out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
