"""English messages. Keys are grouped by feature; each section is owned by that feature's code."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- general -----------------------------------------------------------------------------
    "general.unexpected_error": (
        "Something went wrong on our side and nothing was changed. Please try again in a minute; "
        "if it keeps happening, tell your Slack admin."
    ),
    # --- guard (leak guard, audit trail, authorization) -----------------------------------------
    "guard.leak.kind.client_secret": "an LWA client secret",
    "guard.leak.kind.refresh_token": "a refresh token",
    "guard.leak.and": " and ",
    "guard.leak.warning.headline": "You just posted {what} in this channel.",
    "guard.leak.warning.edited": "Your edited message contains {what}.",
    "guard.leak.warning.delete": (
        "Please delete that message now (hover over it, then More actions → Delete message): "
        "I can't delete other people's messages."
    ),
    "guard.leak.warning.rotate": (
        "Treat {what} as exposed: everyone who can read this channel has seen it. Rotate the client secret "
        "in Developer Central (Apps & Services → Develop Apps → LWA credentials → View → "
        "Rotate secret) and, for a refresh token, authorize the app again to get a new one."
    ),
    "guard.leak.warning.next_time": (
        "Next time, use `/connect-amazon`: it collects credentials in a private form and stores them encrypted."
    ),
    "guard.leak.warning.matched": (
        "It belongs to {names}; I flagged it as exposed and told the team channel (without the secret)."
    ),
    "guard.leak.alert.headline": "The {what} of connection {name} was posted in Slack",
    "guard.leak.alert.body": (
        "{who} posted {what} of this connection in {where}. Treat it as exposed: rotate the client secret now "
        "(the button below walks you through it). The message should be deleted."
    ),
    "guard.leak.alert.refresh_token_hint": (
        "A refresh token is useless without the client secret, so rotating the secret shuts the door; "
        "then run `/connect-amazon reauthorize {name}` for a fresh refresh token."
    ),
    "guard.leak.alert.somewhere": "a channel",
    "guard.leak.alert.an_app": "An app",
    "guard.leak.alert.rotate_button": "Rotate now",
    "guard.audit.refused": (
        "Only workspace admins and owners, and the people listed in ADMIN_USER_IDS, can see the audit trail."
    ),
    "guard.audit.title_all": "Audit trail, newest first",
    "guard.audit.title_one": "Audit trail of {name}, newest first",
    "guard.audit.empty_all": "The audit trail is empty: no connection has been made in this workspace yet.",
    "guard.audit.empty_one": (
        "There is nothing in the audit trail for a connection named {name}. "
        "`/connect-amazon status` lists the connections and their exact names."
    ),
    "guard.audit.more": "Showing the newest {shown} entries. Name a connection to see its whole trail.",
    "guard.audit.by_system": "the bot",
    "guard.audit.name_too_long": "A connection name is at most 80 characters; check it with `/connect-amazon status`.",
    "guard.audit.lookup_failed": (
        "I could not check whether you are a workspace admin (Slack answered {error}). Nothing was shown; "
        "please try again in a minute."
    ),
    "guard.audit.action.connected": "connected",
    "guard.audit.action.reconnected": "reconnected (credentials replaced)",
    "guard.audit.action.rotated_secret": "rotated the client secret",
    "guard.audit.action.reauthorized": "re-authorized (new refresh token)",
    "guard.audit.action.disconnected": "disconnected (secrets erased)",
    "guard.audit.action.exposed": "flagged as exposed (secret seen in a Slack message)",
    "guard.audit.action.health_failing": "health check failed",
    "guard.audit.action.health_recovered": "health check recovered",
    "guard.audit.action.key_rotated": "re-encrypted under a new key",
    "guard.http.bad_request": "The request could not be read.",
}
