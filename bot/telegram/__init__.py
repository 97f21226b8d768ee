"""The Telegram bot: cited answers in chat, admin reload and uploads.

Build it with `build_application(settings, answerer, knowledge)` and run it with
`run_application(application, settings)`; `diplobot run` does both.
"""

from bot.telegram.app import build_application, run_application
from bot.telegram.logging_redaction import SecretRedactingFilter, install_secret_redaction
from bot.telegram.services import BotServices

__all__ = [
    "BotServices",
    "SecretRedactingFilter",
    "build_application",
    "install_secret_redaction",
    "run_application",
]
