"""`diplobot run`: the Telegram bot, long polling (or a webhook when DIPLOBOT_WEBHOOK_URL is set).

Usage:
    DIPLOBOT_TELEGRAM_TOKEN=123:abc DIPLOBOT_ADMIN_IDS=42 diplobot run
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

_LOGGER = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the `run` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run the Telegram bot (long polling, or a webhook when DIPLOBOT_WEBHOOK_URL is set)",
        description=__doc__.split("\n\n")[0],
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build settings, knowledge base, answerer and application; run until stopped."""
    from bot.settings import Settings
    from bot.telegram import build_application, install_secret_redaction, run_application

    # PTB 23 turns `RetryAfter.retry_after` into a timedelta; opt in now (we handle both).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    settings = Settings()
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token:
        print(
            "No Telegram bot token. Set DIPLOBOT_TELEGRAM_TOKEN (from @BotFather) in the "
            "environment or in .env.",
            file=sys.stderr,
        )
        return 2
    secrets = [token]
    if settings.webhook_secret:
        secrets.append(settings.webhook_secret.get_secret_value())
    install_secret_redaction(secrets)

    # Heavy imports (torch, Chroma) only once we know there is something to run.
    from bot.answerer import build_answerer
    from knowledge.base import KnowledgeBase
    from knowledge.errors import KnowledgeError

    try:
        knowledge = KnowledgeBase.open(settings)
    except KnowledgeError as error:
        print(f"Cannot open the knowledge base: {error}", file=sys.stderr)
        return 1
    answerer = build_answerer(settings, knowledge)
    application = build_application(settings, answerer, knowledge)
    _LOGGER.info("Admins: %s", ", ".join(map(str, settings.admin_ids)) or "none configured")
    return run_application(application, settings)
