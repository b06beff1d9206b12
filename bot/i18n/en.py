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
    # --- lifecycle (expiry reminders, health checks, rotation, re-authorization, disconnect) ---------
    "lifecycle.rotate_steps": (
        "In Developer Central (Apps & Services → Develop Apps), open the app, select *View* under "
        "*LWA credentials*, then *Rotate secret*, and copy the new client secret."
    ),
    "lifecycle.rotate_how": (
        "{steps} Then run `/connect-amazon rotate {name}` or press *Rotate now* below and paste it there."
    ),
    "lifecycle.reauthorize_steps": (
        "In Developer Central (Apps & Services → Develop Apps), open the app's menu, choose *Authorize app* "
        "and copy the new refresh token (it starts with Atzr|)."
    ),
    "lifecycle.button.rotate": "Rotate now",
    "lifecycle.button.reauthorize": "Re-authorize",
    "lifecycle.reminder.text": (
        "{owner} the LWA client secret of {name} ({marketplace}) expires on {expires_on}, in {days} day(s)."
    ),
    "lifecycle.reminder.headline": (
        ":hourglass_flowing_sand: {owner} the LWA client secret of *{name}* ({marketplace}, {region}) "
        "expires on *{expires_on}*, in {days} day(s)."
    ),
    "lifecycle.expired.text": "{owner} the LWA client secret of {name} ({marketplace}) expired on {expires_on}.",
    "lifecycle.expired.headline": (
        ":red_circle: {owner} the LWA client secret of *{name}* ({marketplace}, {region}) expired on "
        "*{expires_on}*. Calls to Amazon with it fail until it is rotated."
    ),
    "lifecycle.health.failing.text": "{owner} connection {name} ({marketplace}) stopped working: {cause}",
    "lifecycle.health.failing.headline": (
        ":warning: {owner} connection *{name}* ({marketplace}, {region}) stopped working."
    ),
    "lifecycle.health.failing_dm.headline": (
        ":warning: Your connection *{name}* ({marketplace}, {region}) stopped working; the team channel "
        "was told too."
    ),
    "lifecycle.health.cause": "*Cause:* {cause}",
    "lifecycle.health.next_step": "*Next step:* {next_step}",
    "lifecycle.health.recovered.text": "Connection {name} ({marketplace}) works again.",
    "lifecycle.health.recovered.headline": (
        ":white_check_mark: Connection *{name}* ({marketplace}, {region}) works again: Amazon accepted "
        "its credentials."
    ),
    "lifecycle.health.transient_cause": "Amazon could not be reached {count} times in a row.",
    "lifecycle.health.transient_next_step": (
        "Nothing to change yet: the next check retries. If it keeps failing, check Amazon's SP-API status "
        "page and the bot's network access."
    ),
    "lifecycle.health.decrypt_cause": "The stored secrets cannot be decrypted: {problem}.",
    "lifecycle.health.decrypt_next_step": (
        "Whoever runs the bot should add the missing key back to ENCRYPTION_KEYS and restart it; if the "
        "key is lost, disconnect this connection and connect it again."
    ),
    "lifecycle.usage.rotate": (
        "Name the connection to rotate, for example `/connect-amazon rotate Main EU`. "
        "`/connect-amazon status` lists the connections and their exact names."
    ),
    "lifecycle.usage.reauthorize": (
        "Name the connection to re-authorize, for example `/connect-amazon reauthorize Main EU`. "
        "`/connect-amazon status` lists the connections and their exact names."
    ),
    "lifecycle.usage.disconnect": (
        "Name the connection to disconnect, for example `/connect-amazon disconnect Main EU`. "
        "`/connect-amazon status` lists the connections and their exact names."
    ),
    "lifecycle.not_found": (
        "There is no connection named {name} in this workspace. `/connect-amazon status` lists the "
        "connections and their exact names."
    ),
    "lifecycle.not_found_any": "That connection no longer exists in this workspace. Nothing was changed.",
    "lifecycle.already_disconnected": (
        "{name} is disconnected: its secrets were erased. Connect it again with `/connect-amazon`."
    ),
    "lifecycle.refused": (
        "Only the person who connected {name} ({owner}), a workspace admin or owner, or someone listed in "
        "ADMIN_USER_IDS can rotate, re-authorize or disconnect it. Nothing was changed."
    ),
    "lifecycle.refused_lookup_failed": (
        "Only the person who connected {name} ({owner}), a workspace admin or owner, or someone listed in "
        "ADMIN_USER_IDS can change it, and I could not check whether you are a workspace admin (Slack "
        "answered {error}). Nothing was changed; please try again in a minute."
    ),
    "lifecycle.modal.title.rotate": "Rotate client secret",
    "lifecycle.modal.title.reauthorize": "Re-authorize",
    "lifecycle.modal.submit": "Verify and save",
    "lifecycle.modal.close": "Close",
    "lifecycle.modal.cancel": "Cancel",
    "lifecycle.modal.intro.rotate": (
        "New LWA client secret for *{name}* ({marketplace}, {region}). It is checked with Amazon using the "
        "stored client ID and refresh token before it replaces the old one; it is stored encrypted and "
        "never shown again."
    ),
    "lifecycle.modal.intro.reauthorize": (
        "New refresh token for *{name}* ({marketplace}, {region}). It is checked with Amazon using the "
        "stored client ID and client secret before it replaces the old one; it is stored encrypted and "
        "never shown again."
    ),
    "lifecycle.modal.label.client_secret": "New LWA client secret",
    "lifecycle.modal.label.refresh_token": "New refresh token",
    "lifecycle.modal.placeholder.client_secret": "amzn1.oa2-cs.v1.…",
    "lifecycle.modal.placeholder.refresh_token": "Atzr|…",
    "lifecycle.modal.label.created_on": "Secret created on",
    "lifecycle.modal.hint.created_on": (
        "The day you rotated it (today if you just did). The bot reminds you before it expires 180 days later."
    ),
    "lifecycle.modal.created_on_future": "The creation date cannot be in the future.",
    "lifecycle.modal.created_on_expired": (
        "A secret created on that day expired 180 days later, which has passed. Rotate it again and use today's date."
    ),
    "lifecycle.modal.created_on_invalid": "Pick the creation date from the calendar.",
    "lifecycle.modal.verifying": (
        ":hourglass_flowing_sand: Checking the new {what} of *{name}* with Amazon… this usually takes a "
        "few seconds. You can close this window; nothing is saved unless Amazon accepts it."
    ),
    "lifecycle.what.rotate": "client secret",
    "lifecycle.what.reauthorize": "refresh token",
    "lifecycle.result.rotated": (
        ":white_check_mark: *{name}* now uses the new client secret. It expires on *{expires_on}*; "
        "the bot will remind the channel before then."
    ),
    "lifecycle.result.reauthorized": ":white_check_mark: *{name}* now uses the new refresh token.",
    "lifecycle.result.failed": (
        ":x: Amazon did not accept the new {what}, so nothing was changed: *{name}* keeps its old credentials."
    ),
    "lifecycle.result.cause": "*Why:* {cause}",
    "lifecycle.result.next_step": "*What to do:* {next_step}",
    "lifecycle.result.announce_failed": (
        "The change is saved, but the announcement in the team channel failed ({problem}). If the bot is "
        "not in that channel, invite it with `/invite @` and the bot's name."
    ),
    "lifecycle.result.unreadable": (
        "The stored {other} of *{name}* cannot be decrypted ({problem}), so the new {what} cannot be checked. "
        "Nothing was changed: disconnect the connection and connect it again."
    ),
    "lifecycle.result.busy": "This form was already submitted; its result appears here.",
    "lifecycle.result.disconnected_meanwhile": "*{name}* was disconnected meanwhile. Nothing was changed.",
    "lifecycle.announce.rotated": (
        ":arrows_counterclockwise: {actor} rotated the LWA client secret of *{name}* ({marketplace}, {region}). "
        "Amazon accepted it; it expires on {expires_on}."
    ),
    "lifecycle.announce.rotated.text": "{actor} rotated the LWA client secret of {name}.",
    "lifecycle.announce.reauthorized": (
        ":arrows_counterclockwise: {actor} re-authorized *{name}* ({marketplace}, {region}) with a new "
        "refresh token. Amazon accepted it."
    ),
    "lifecycle.announce.reauthorized.text": "{actor} re-authorized {name}.",
    "lifecycle.announce.disconnected": (
        ":wave: {actor} disconnected *{name}* ({marketplace}, {region}). Its client secret and refresh "
        "token were deleted from the bot; the audit trail keeps the record."
    ),
    "lifecycle.announce.disconnected.text": "{actor} disconnected {name}.",
    "lifecycle.disconnect.question": (
        "Disconnect *{name}* ({marketplace}, {region})? The bot deletes its client secret and refresh token "
        "and stops watching it. The audit trail stays. To use it again, connect it with `/connect-amazon`."
    ),
    "lifecycle.disconnect.button": "Disconnect",
    "lifecycle.disconnect.keep": "Keep it",
    "lifecycle.disconnect.confirm_title": "Disconnect {name}?",
    "lifecycle.disconnect.confirm_text": "Its secrets are deleted for good. This cannot be undone.",
    "lifecycle.disconnect.confirm_yes": "Yes, disconnect",
    "lifecycle.disconnect.done": ":white_check_mark: *{name}* is disconnected and its secrets are deleted.",
    "lifecycle.disconnect.done_announce_failed": (
        ":white_check_mark: *{name}* is disconnected and its secrets are deleted, but the announcement in the "
        "team channel failed ({problem})."
    ),
    "lifecycle.disconnect.kept": "Nothing was changed: *{name}* stays connected.",
}
