"""Keep the bot token out of the logs.

httpx logs every request URL at INFO, and a Bot API URL contains the token; exceptions can carry
it too. Two layers: httpx's loggers at WARNING, and `SecretRedactingFilter`, which rewrites any
record (message, arguments, exception and stack text) that contains a secret. The filter sits on
the root logger's handlers and in the log-record factory, so that records of every logger — and
handlers added later — are covered.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from urllib.parse import quote

REDACTED = "[REDACTED]"
NOISY_LOGGERS = ("httpx", "httpcore")


class SecretRedactingFilter(logging.Filter):
    """Replaces each secret in a log record with `[REDACTED]`; never drops a record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Also the URL-encoded forms: file download URLs carry the token as `123%3AABC…`.
        forms = set()
        for secret in secrets:
            if secret and len(secret) >= 6:
                forms |= {secret, quote(secret, safe=""), quote(secret)}
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: redact its parts
            message = f"{record.msg} {record.args}"
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_secret_redaction(secrets: Iterable[str]) -> Callable[[], None]:
    """Quiet httpx and redact `secrets` from every log record from now on.

    Returns:
        A function that removes what was installed (for tests).
    """
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redaction = SecretRedactingFilter(secrets)
    root = logging.getLogger()
    handlers = list(root.handlers)
    for handler in handlers:
        handler.addFilter(redaction)

    previous_factory = logging.getLogRecordFactory()

    def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        redaction.filter(record)
        return record

    logging.setLogRecordFactory(redacting_factory)

    def uninstall() -> None:
        for handler in handlers:
            handler.removeFilter(redaction)
        if logging.getLogRecordFactory() is redacting_factory:
            logging.setLogRecordFactory(previous_factory)

    return uninstall
