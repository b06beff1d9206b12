"""The tools' HTTP API (``/v1/…``, issue 15): see ``bot.api.app``."""
