"""Amazon side of the bot: marketplaces, format checks, LWA + SP-API client, verdicts.

No Slack and no storage in here.
"""
