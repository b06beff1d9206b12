"""English messages. Keys are grouped by feature; each section is owned by that feature's code."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- general -----------------------------------------------------------------------------
    # how dates, times and lists are written (bot.views.blocks.Words)
    "general.date": "{year}-{month:02d}-{day:02d}",
    "general.datetime": "{date} {hour:02d}:{minute:02d} UTC",
    "general.list_separator": ", ",
    "general.unexpected_error": (
        "Something went wrong on our side and nothing was changed. Please try again in a minute; "
        "if it keeps happening, tell your Slack admin."
    ),
    "general.listener_failed": (
        "Something went wrong on our side while handling that, and it may not have finished. Please try "
        "again in a minute; if it keeps happening, tell your Slack admin."
    ),
    "general.job_failed": (
        "Something I was doing for you could not be finished, although I tried several times. Please try "
        "again in a few minutes; if it keeps happening, tell your Slack admin."
    ),
    # start-up checks of `run` and `sweep` (printed to the operator; the bot exits with code 2)
    "general.startup.cannot_start": "The bot cannot start:",
    "general.startup.missing_keys": (
        "The database holds secrets encrypted under key {kids}, which {source} does not contain, so the bot "
        "stopped before changing anything: restore that key (add its KID:BASE64 entry back to ENCRYPTION_KEYS, "
        "after the newest key) or set ENCRYPTION_KEYS to the entries that include it."
    ),
    "general.startup.missing_key_file": (
        "The database holds secrets encrypted under key {kids}, but ENCRYPTION_KEYS is not set and the key "
        "file {path} does not exist, so the bot stopped without making a new key: restore that key file from "
        "your backup, or set ENCRYPTION_KEYS to the KID:BASE64 entries that include {kids}."
    ),
    "general.startup.database_unreachable": (
        "DATABASE_URL: the database {where} could not be reached ({reason}): start it or correct "
        "DATABASE_URL, then start the bot again."
    ),
    "general.startup.sqlite_unopenable": (
        "DATABASE_URL: the SQLite file {where} could not be opened ({reason}): check that its folder exists "
        "and this user may write there, or correct DATABASE_URL."
    ),
    "general.startup.slack_token_rejected": (
        "Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-…) again from the OAuth "
        "& Permissions page of your Slack app, and reinstall the app to the workspace if it was removed."
    ),
    "general.startup.slack_app_token_rejected": (
        "Slack refused SLACK_APP_TOKEN ({error}): create an App-Level Token with the connections:write scope "
        "on the Basic Information page of your Slack app and set SLACK_APP_TOKEN to it, or leave it unset "
        "to run in HTTP mode."
    ),
    "general.startup.slack_unreachable": (
        "Slack did not answer at SLACK_API_URL {url} ({reason}): check this host's network access to Slack "
        "(proxy, firewall, DNS), or leave SLACK_API_URL unset to use {default}."
    ),
    "general.startup.slack_not_slack": (
        "SLACK_API_URL {url} did not answer like Slack's Web API (HTTP {status}): leave SLACK_API_URL unset to "
        "use {default}, or correct it."
    ),
    "general.startup.slack_error": (
        "Slack answered {error} when the bot checked {setting}: try again in a minute, "
        "and check https://slack-status.com if it keeps happening."
    ),
    # `python -m bot doctor`: one line per check (after ✓ or ✗); a failing line says what to do
    "general.doctor.settings_ok": "settings: complete ({mode}).",
    "general.doctor.mode_socket": "Socket Mode, because SLACK_APP_TOKEN is set",
    "general.doctor.mode_http": "HTTP mode on port {port}, because SLACK_APP_TOKEN is not set",
    "general.doctor.settings_first": (
        "The other checks need these settings: fix them (in the environment or .env), then run "
        "`python -m bot doctor` again."
    ),
    "general.doctor.database_ok": "database {where}: answers, and its migrations are current (revision {revision}).",
    "general.doctor.database_empty": (
        "database {where}: answers and has no tables yet; `python -m bot run` creates them when it first starts."
    ),
    "general.doctor.database_new_file": (
        "database: the SQLite file {where} does not exist yet; `python -m bot run` creates it when it first starts."
    ),
    "general.doctor.database_behind": (
        "database {where}: answers; {count} migration(s) from revision {current} to {head} are due, and "
        "`python -m bot run` applies them when it starts."
    ),
    "general.doctor.database_ahead": (
        "database {where}: it is at revision {current}, which this version of the bot does not know (a newer "
        "version migrated it): run that newer version, or restore a backup from before it."
    ),
    "general.doctor.keys_ok": (
        "keys: every key the stored secrets use is present and decrypts them ({in_use}); {source} holds {held}."
    ),
    "general.doctor.keys_wrong_material": (
        "keys: the key {source} holds under the id '{kid}' does not decrypt the secrets stored under that id, "
        "so it is another key with the same id: put back the original KID:BASE64 entry for '{kid}'."
    ),
    "general.doctor.keys_none_stored": "keys: no secret is stored yet; {source} holds {held}.",
    "general.doctor.keys_will_generate": (
        "keys: ENCRYPTION_KEYS is not set and no secret is stored yet; `python -m bot run` generates {path} on "
        "first start (fine for a trial; production should pass ENCRYPTION_KEYS from a secret store)."
    ),
    "general.doctor.keys_unchecked": "keys: not checked, because the database check failed (see the line above).",
    "general.doctor.slack_ok": "Slack: SLACK_BOT_TOKEN works; the bot is @{user} in {team} ({team_id}).",
    "general.doctor.app_token_ok": "Slack: SLACK_APP_TOKEN opens a Socket Mode connection.",
    "general.doctor.channel_ok": "NOTIFY_CHANNEL {channel}: the bot is a member.",
    "general.doctor.channel_not_member": (
        "NOTIFY_CHANNEL {channel}: the bot is not a member, so its posts there would fail: type "
        "/invite @{bot} in that channel."
    ),
    "general.doctor.channel_not_found": (
        "NOTIFY_CHANNEL {channel}: the bot sees no channel with this ID: check the ID (open the channel, click "
        "its name, the Channel ID is at the bottom), and invite the bot first if the channel is private."
    ),
    "general.doctor.channel_error": (
        "NOTIFY_CHANNEL {channel}: Slack answered {error} when the bot read the channel: reinstall the app "
        "from manifest.yml (it needs the channels:history and groups:history scopes), then try again."
    ),
    "general.doctor.channel_unchecked": (
        "NOTIFY_CHANNEL {channel}: not checked, because the Slack check failed (see the line above)."
    ),
    "general.doctor.amazon_ok": "{what} {url}: answers (HTTP {status}).",
    "general.doctor.amazon_down": (
        "{what} {url}: did not answer ({reason}): check this host's network access to Amazon (proxy, "
        "firewall, DNS){hint}."
    ),
    "general.doctor.amazon_hint": ", or correct {setting}",
    "general.doctor.all_passed": "All checks passed: start the bot with `python -m bot run`.",
    "general.doctor.failed": (
        "{count} check(s) failed: fix what the ✗ lines say, then run `python -m bot doctor` again."
    ),
    # --- amazon (verification verdicts, credential format checks) -------------------------------
    # verdicts: (cause, next step) per kind; {store_part}, {marketplace_part}, {request_part} are the
    # amazon.verdict.part.* sentences below (or empty), {role} a role name or amazon.verdict.part.role_unknown
    "amazon.verdict.verified.cause": "Amazon accepted these credentials{store_part}{marketplace_part}.",
    "amazon.verdict.verified.next": "Nothing to do: the connection works.",
    "amazon.verdict.invalid_client.cause": "Login with Amazon did not accept the LWA client ID or client secret.",
    "amazon.verdict.invalid_client.next": (
        "Open the app in Developer Central, select View under LWA credentials, and copy the Client "
        "identifier and the Client secret again, each into its own field."
    ),
    "amazon.verdict.secret_expired.cause": (
        "The LWA client secret has expired: secrets live 180 days, and after a rotation the old "
        "secret keeps working for only 7 more days."
    ),
    "amazon.verdict.secret_expired.next": (
        "In Developer Central, open View under LWA credentials, select Rotate secret, and paste the "
        "new client secret here."
    ),
    "amazon.verdict.invalid_grant.cause": (
        "Login with Amazon refused the refresh token: it was revoked, belongs to another app, or was "
        "replaced by a newer authorization."
    ),
    "amazon.verdict.invalid_grant.next": (
        "Authorize the app again (Edit App, then Authorize) and paste the new refresh token (Atzr|...)."
    ),
    "amazon.verdict.unauthorized_client.cause": (
        "Login with Amazon knows this app but does not let it exchange refresh tokens (unauthorized_client): "
        "usually the app's registration in Developer Central is incomplete, or these LWA credentials are not "
        "those of a Selling Partner API app{request_part}."
    ),
    "amazon.verdict.unauthorized_client.next": (
        "In Developer Central, open the app and check that its registration is complete and that the LWA client "
        "ID and secret are the ones under this app's LWA credentials; then authorize the app again (Edit App, "
        "then Authorize) and paste the new refresh token (Atzr|...)."
    ),
    "amazon.verdict.marketplace_not_authorized.cause": (
        "The credentials work, but not for the marketplace you chose{marketplace_part}. Each region "
        "(North America, Europe, Far East) needs its own authorization."
    ),
    "amazon.verdict.marketplace_not_authorized.next": (
        "Pick the marketplace this authorization covers, or authorize the app for that region and "
        "paste the refresh token Amazon shows for it."
    ),
    "amazon.verdict.missing_role.cause": (
        "Amazon refused the request because the app lacks the {role} role (or this authorization is "
        "for another region)."
    ),
    "amazon.verdict.missing_role.next": (
        "In Developer Central, edit the app and add the {role} role, then authorize the app again and "
        "paste the new refresh token."
    ),
    "amazon.verdict.rate_limited.cause": "Amazon is limiting how often we may call it right now{request_part}.",
    "amazon.verdict.rate_limited.next": (
        "Try again in a few minutes; nothing is wrong with the credentials as far as we know."
    ),
    "amazon.verdict.amazon_unavailable.cause": "Amazon answered with a server error{request_part}.",
    "amazon.verdict.amazon_unavailable.next": (
        "Try again in a few minutes; if it keeps failing, check Amazon's SP-API status page."
    ),
    "amazon.verdict.amazon_error.cause": (
        "Amazon had a problem on its side and refused the request; this says nothing about the credentials"
        "{request_part}."
    ),
    "amazon.verdict.amazon_error.next": (
        "Nothing to change in the credentials: try again later. If it keeps happening, check Amazon's SP-API "
        "status page and give the request id to whoever runs the bot."
    ),
    "amazon.verdict.network_error.cause": "We could not reach Amazon over the network.",
    "amazon.verdict.network_error.next": (
        "Try again in a few minutes; if it keeps failing, ask whoever runs the bot to check its network access."
    ),
    "amazon.verdict.timeout.cause": "Amazon did not answer in time.",
    "amazon.verdict.timeout.next": "Try again in a few minutes.",
    "amazon.verdict.unexpected.cause": "Amazon gave an answer we did not expect{request_part}.",
    "amazon.verdict.unexpected.next": (
        "Try again later; if it happens again, share the request id with whoever runs the bot."
    ),
    "amazon.verdict.part.store": " for the store {store}",
    "amazon.verdict.part.authorized": " (authorized: {marketplaces})",
    "amazon.verdict.part.verified_in": " in {marketplaces}",
    "amazon.verdict.part.request": " (Amazon request id {request_id})",
    "amazon.verdict.part.role_unknown": "required",
    "amazon.marketplace.name": "{name} ({country})",
    # marketplace and region names (bot.views.blocks.Words.marketplace/region); Amazon's "Marketplace IDs" page
    "amazon.marketplace.CA": "Canada",
    "amazon.marketplace.US": "United States of America",
    "amazon.marketplace.MX": "Mexico",
    "amazon.marketplace.BR": "Brazil",
    "amazon.marketplace.IE": "Ireland",
    "amazon.marketplace.ES": "Spain",
    "amazon.marketplace.UK": "United Kingdom",
    "amazon.marketplace.FR": "France",
    "amazon.marketplace.BE": "Belgium",
    "amazon.marketplace.NL": "Netherlands",
    "amazon.marketplace.DE": "Germany",
    "amazon.marketplace.IT": "Italy",
    "amazon.marketplace.SE": "Sweden",
    "amazon.marketplace.ZA": "South Africa",
    "amazon.marketplace.PL": "Poland",
    "amazon.marketplace.EG": "Egypt",
    "amazon.marketplace.TR": "Turkey",
    "amazon.marketplace.SA": "Saudi Arabia",
    "amazon.marketplace.AE": "United Arab Emirates",
    "amazon.marketplace.IN": "India",
    "amazon.marketplace.SG": "Singapore",
    "amazon.marketplace.AU": "Australia",
    "amazon.marketplace.JP": "Japan",
    "amazon.region.NA": "North America",
    "amazon.region.EU": "Europe",
    "amazon.region.FE": "Far East",
    # the fields of the connect form
    "amazon.field.account_type.label": "Account type",
    "amazon.field.seller_id.label": "Seller ID",
    "amazon.field.vendor_code.label": "Vendor code",
    "amazon.field.client_id.label": "LWA client ID",
    "amazon.field.client_secret.label": "LWA client secret",
    "amazon.field.refresh_token.label": "Refresh token",
    "amazon.field.marketplace.label": "Marketplace",
    "amazon.field.connection_name.label": "Connection name",
    "amazon.field.client_id.how_to": (
        "The LWA client ID is the Client identifier under LWA credentials (View) in Developer "
        "Central; it starts with amzn1.application-oa2-client."
    ),
    "amazon.field.client_secret.how_to": (
        "The LWA client secret is the Client secret under LWA credentials (View) in "
        "Developer Central; it starts with amzn1.oa2-cs.v1."
    ),
    "amazon.field.refresh_token.how_to": (
        "The refresh token appears when you authorize the app (Edit App, then Authorize); it starts with Atzr|."
    ),
    "amazon.field.seller_id.how_to": (
        "The Seller ID (merchant token) is in Seller Central under Settings, Account Info, "
        "Business Information, Your Merchant Token; it starts with a capital A."
    ),
    "amazon.field.vendor_code.how_to": (
        "The vendor code is in Vendor Central under Settings, Contacts; it is letters and digits, for example ABC12."
    ),
    "amazon.field.marketplace.how_to": (
        "Use a country code such as US, UK, DE or JP, or a marketplace ID such as ATVPDKIKX0DER."
    ),
    # what a pasted value looks like
    "amazon.kind.client_id": "an LWA client ID (amzn1.application-oa2-client.…)",
    "amazon.kind.client_secret": "the LWA client secret (amzn1.oa2-cs.v1.…)",
    "amazon.kind.legacy_secret": "what looks like an LWA client secret",
    "amazon.kind.refresh_token": "a refresh token (Atzr|…)",
    "amazon.kind.access_token": "an access token (Atza|…), which expires within an hour and is not what we need",
    "amazon.kind.app_id": "the App ID (amzn1.sp.solution.…), which is not a login credential",
    "amazon.kind.application_id": (
        "the Application ID shown on the app list (amzn1.sellerapps.app.…), which is not the LWA client ID"
    ),
    "amazon.kind.security_profile": "a Login with Amazon security profile ID (amzn1.application.…)",
    "amazon.kind.marketplace_id": "a marketplace ID",
    "amazon.kind.url": "a web address",
    "amazon.kind.email": "an email address",
    # format errors and notes; {label} is a field label, {how_to} that field's how-to sentence
    "amazon.error.empty": "The {label} is empty. {how_to}",
    "amazon.error.sandbox": (
        "The {label} looks like it comes from a Sandbox app or endpoint, and Sandbox apps only "
        "return test data. Use the credentials of a Production app from Developer Central."
    ),
    "amazon.error.mixup": "The {label} field holds {what}. {how_to}",
    "amazon.error.mixup_belongs": "The {label} field holds {what}; that belongs in the {target} field. {how_to}",
    "amazon.error.inner_space": (
        "The {label} has a space or line break inside it. Copy it again in one piece, straight from Amazon."
    ),
    "amazon.error.invisible_char": (
        "The {label} has an invisible character inside it (chat apps and documents add "
        "them). Copy it again straight from Amazon."
    ),
    "amazon.error.marketplace_id_pasted": (
        "The {label} field holds the marketplace ID of {marketplace}; choose the "
        "marketplace in the Marketplace field. {how_to}"
    ),
    "amazon.error.client_id.prefix": "The LWA client ID should start with amzn1.application-oa2-client. {how_to}",
    "amazon.error.client_id.tail": (
        "The LWA client ID has the right beginning but the rest should be digits and the "
        "letters a-f, 32 of them; it looks cut short or altered. Copy it again."
    ),
    "amazon.error.client_id.unreadable": "The LWA client ID could not be read. {how_to}",
    "amazon.note.client_secret.legacy": (
        "This is an older client secret without the amzn1.oa2-cs.v1. prefix; it is accepted, "
        "and the next rotation will give you a prefixed one."
    ),
    "amazon.error.client_secret.prefix": "The LWA client secret should start with amzn1.oa2-cs.v1. {how_to}",
    "amazon.error.client_secret.tail": (
        "The LWA client secret has the right beginning but the rest should be digits and the "
        "letters a-f, 64 of them; it looks cut short or altered. Copy it again."
    ),
    "amazon.error.client_secret.unreadable": "The LWA client secret could not be read. {how_to}",
    "amazon.error.refresh_token.case": (
        "The Refresh token must start with Atzr| exactly as Amazon shows it (capital A, "
        "small tzr). Copy it again."
    ),
    "amazon.error.refresh_token.prefix": "The Refresh token should start with Atzr|. {how_to}",
    "amazon.error.refresh_token.too_short": (
        "The Refresh token is too short: real ones are several hundred characters. Copy the whole token again."
    ),
    "amazon.error.refresh_token.characters": (
        "The Refresh token has characters Amazon does not use in tokens. Copy it again "
        "straight from the authorization page."
    ),
    "amazon.error.refresh_token.unreadable": "The Refresh token could not be read. {how_to}",
    "amazon.note.seller_id.uppercased": "The Seller ID was changed to capital letters, as Amazon writes it.",
    "amazon.error.seller_id.start": "The Seller ID should start with a capital A. {how_to}",
    "amazon.error.seller_id.characters": "The Seller ID is capital letters and digits only. {how_to}",
    "amazon.error.seller_id.too_short": (
        "The Seller ID should be 8 to 20 capital letters and digits; this one is too short. {how_to}"
    ),
    "amazon.error.seller_id.too_long": (
        "The Seller ID should be 8 to 20 capital letters and digits; this one is too long. {how_to}"
    ),
    "amazon.error.seller_id.unreadable": "The Seller ID could not be read. {how_to}",
    "amazon.error.vendor_code.characters": "The Vendor code is letters and digits only, 2 to 20 of them. {how_to}",
    "amazon.note.vendor_code.uppercased": "The Vendor code was changed to capital letters.",
    "amazon.error.vendor_code.unreadable": "The Vendor code could not be read. {how_to}",
    "amazon.error.account_type.choose": "Choose whether this is a Seller account or a Vendor account.",
    "amazon.error.selling_partner_id.account_type_first": (
        "Choose Seller or Vendor first: the ID to paste depends on it."
    ),
    "amazon.error.marketplace.empty": "The Marketplace is empty. {how_to}",
    "amazon.error.marketplace.unknown": "The Marketplace is not one Amazon lists for SP-API. {how_to}",
    "amazon.error.marketplace.unreadable": "The Marketplace could not be read. {how_to}",
    "amazon.error.connection_name.empty": "The Connection name is empty. Give it a name such as US Main Store.",
    "amazon.error.connection_name.too_long": "The Connection name is longer than 80 characters. Shorten it.",
    "amazon.error.connection_name.control": (
        "The Connection name has a line break or control character. Use one line of text."
    ),
    "amazon.error.connection_name.credential": (
        "The Connection name holds {what}. Never put credentials in the name; use something like US Main Store."
    ),
    "amazon.error.connection_name.unreadable": (
        "The Connection name could not be read. Use something like US Main Store."
    ),
    # --- end amazon ------------------------------------------------------------------------------
    # --- guard (leak guard, audit trail, authorization) -----------------------------------------
    "guard.leak.kind.client_secret": "an LWA client secret",
    "guard.leak.kind.refresh_token": "a refresh token",
    "guard.leak.kind.both": "an LWA client secret and a refresh token",
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
    # {label} is a guard.leak.label.* (no article): "The LWA client secret of connection …"
    "guard.leak.alert.headline": "The {label} of connection {name} was posted in Slack",
    "guard.leak.alert.body": (
        "{who} posted {what} of this connection in {where}. Treat it as exposed: rotate the client secret now "
        "(the button below walks you through it). The message should be deleted."
    ),
    "guard.leak.alert.refresh_token_hint": (
        "A refresh token is useless without the client secret, so rotating the secret shuts the door; "
        "then authorize the app again for a fresh refresh token (the Re-authorize button)."
    ),
    "guard.leak.alert.reauthorize_button": "Re-authorize",
    "guard.leak.alert.somewhere": "a channel",
    "guard.leak.alert.an_app": "An app",
    "guard.leak.alert.rotate_button": "Rotate now",
    "guard.leak.label.client_secret": "LWA client secret",
    "guard.leak.label.refresh_token": "refresh token",
    "guard.leak.label.both": "LWA client secret and refresh token",
    "guard.leak.last_error": "The {what} was posted in a Slack message (channel {channel}); rotate it.",
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
    # Audit details (stored as meanings): {account} is a guard.audit.detail.account.*, {region} and
    # {marketplace} are the region's and marketplace's names.
    "guard.audit.detail.connected": "{account} {seller} in {region} ({marketplace})",
    "guard.audit.detail.account.seller": "Seller account",
    "guard.audit.detail.account.vendor": "Vendor account",
    "guard.audit.detail.rotated_secret": "secret generation {generation}, expires {expires}",
    "guard.audit.detail.reauthorized": "new refresh token",
    "guard.audit.detail.disconnected": "secrets erased",
    "guard.audit.detail.key_rotated": "re-encrypted {count} connection(s) under key `{key}`",
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
    "lifecycle.health.transient_cause": "Amazon gave no usable answer {count} times in a row. The last time: {last}",
    "lifecycle.health.transient_next_step": (
        "Nothing to change yet: the next check retries. If it keeps failing, check Amazon's SP-API status "
        "page and the bot's network access."
    ),
    # a connection's last problem when a secret in use was seen in Slack (bot.flows.problems, kind "leaked")
    "lifecycle.problem.leaked.client_secret.cause": (
        "The LWA client secret in use was posted in a Slack message in {channel}."
    ),
    "lifecycle.problem.leaked.client_secret.next_step": (
        "Rotate the client secret in Developer Central and paste the new one with `/connect-amazon rotate`."
    ),
    "lifecycle.problem.leaked.refresh_token.cause": (
        "The refresh token in use was posted in a Slack message in {channel}."
    ),
    "lifecycle.problem.leaked.refresh_token.next_step": (
        "Authorize the app again and paste the new refresh token with `/connect-amazon reauthorize`."
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
    "lifecycle.not_found_unnamed": (
        "Name the connection after the command, for example `Main EU`. `/connect-amazon status` lists the "
        "connections and their exact names."
    ),
    "lifecycle.unnamed_connection": "that",
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
    "lifecycle.result.unfinished": (
        ":warning: We could not finish checking the new {what} with Amazon, so nothing was changed: *{name}* keeps "
        "its old credentials."
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
    "lifecycle.still_exposed.refresh_token": (
        "The refresh token in use was posted in Slack earlier, so {name} stays flagged as exposed: run "
        "`/connect-amazon reauthorize {name}` with a new one."
    ),
    "lifecycle.exposure.still": (
        ":rotating_light: *{name}* is still flagged as exposed: the {what} in use was posted in Slack. Replace "
        "it: `/connect-amazon rotate` for the client secret, `/connect-amazon reauthorize` for the refresh token."
    ),
    "lifecycle.still_exposed.client_secret": (
        "The client secret in use was posted in Slack earlier, so {name} stays flagged as exposed: run "
        "`/connect-amazon rotate {name}` with a new one."
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
    "lifecycle.disconnect.failed": (
        ":warning: *{name}* was not disconnected: the database did not save the change, so its client "
        "secret and refresh token are still stored. Try again in a minute (`/connect-amazon disconnect "
        "{name}`); if it fails again, ask whoever runs the bot to check its database."
    ),
    "lifecycle.disconnect.kept": "Nothing was changed: *{name}* stays connected.",
    # --- onboarding ------------------------------------------------------------------------------
    "onboarding.start.ack": "I'm sending you a direct message with the steps to connect Amazon.",
    "onboarding.start.refused": (
        "Only the people your workspace chose can connect Amazon accounts here. Ask your Slack admin to add "
        "you (setting CONNECT_ALLOWED) or to connect the account for you."
    ),
    "onboarding.start.dm_failed": (
        "I couldn't send you a direct message (Slack answered {error}). Open the bot's Home tab to continue, "
        "or ask your Slack admin to check the app is installed."
    ),
    "onboarding.refused": (
        "Only the people your workspace chose can connect Amazon accounts here. Nothing was saved. Ask your "
        "Slack admin to add you (setting CONNECT_ALLOWED)."
    ),
    "onboarding.path.seller": "Seller Central (seller)",
    "onboarding.path.vendor": "Vendor Central (vendor)",
    # the DM checklist
    "onboarding.checklist.title": "Connect an Amazon account",
    "onboarding.checklist.intro": (
        "I'll walk you through Amazon's side. Tick each step as you finish it: your progress is saved, and "
        "you'll find it here again (or on my Home tab). Never paste a secret into this chat: the last step "
        "opens a private form for that."
    ),
    "onboarding.checklist.choose_path": "*First: which kind of Amazon account is it?*",
    "onboarding.checklist.path_seller": "Seller Central",
    "onboarding.checklist.path_vendor": "Vendor Central",
    "onboarding.checklist.fallback_choose": "Connect an Amazon account: choose Seller Central or Vendor Central.",
    "onboarding.checklist.fallback": "Connect an Amazon account ({path}): {done} of {total} steps done.",
    "onboarding.checklist.progress": "{path} · {done} of {total} steps done",
    "onboarding.checklist.done": "Done",
    "onboarding.checklist.nudge_scheduled": (
        "Amazon usually answers within 3-5 business days. If you haven't moved on by {date}, I'll check in."
    ),
    "onboarding.checklist.ready": (
        "*Got all four credentials?* Enter them in a private form; I'll check them with Amazon."
    ),
    "onboarding.checklist.open_credentials": "Enter credentials",
    "onboarding.checklist.switch_to_seller": "Switch to Seller Central",
    "onboarding.checklist.switch_to_vendor": "Switch to Vendor Central",
    # seller steps
    "onboarding.step.seller.prerequisites.title": "Check the basics",
    "onboarding.step.seller.prerequisites.body": (
        "You need a Professional selling account. Sign in to Seller Central as the primary account user, or "
        "ask them to give you the Develop Apps permission (Settings → User Permissions). Decide which region "
        "you connect: North America (NA), Europe (EU) or Far East (FE)."
    ),
    "onboarding.step.seller.prepare_info.title": "Gather what Amazon will ask for",
    "onboarding.step.seller.prepare_info.body": (
        "Your registered company name, the company website, a technical contact's name and email, the store "
        "and marketplace you are connecting, and answers for the security questionnaire (encryption, access "
        "control, log retention, staff permissions, incident response)."
    ),
    "onboarding.step.seller.roles.title": "Pick the data roles",
    "onboarding.step.seller.roles.body": (
        "In the developer profile's data access section, request: Product Listing, Pricing, Inventory and "
        "Order Tracking, Amazon Fulfillment, Buyer Communication, Tax Invoicing and Tax Remittance."
    ),
    "onboarding.step.seller.profile_submitted.title": "Submit the developer profile (start this first)",
    "onboarding.step.seller.profile_submitted.body": (
        "Seller Central → Apps and Services → Develop Apps, then fill in the developer profile with a business "
        "email that receives mail. Amazon reviews it in about 3-5 business days, so send it early and read "
        "on while you wait. Tick this once it is submitted."
    ),
    "onboarding.step.seller.create_app.title": "Create the app (after approval)",
    "onboarding.step.seller.create_app.body": (
        "Back on Develop Apps click Add new app client. API type: Selling Partner API (SP API). Choose "
        "Production, not Sandbox: a Sandbox app only ever returns test data."
    ),
    "onboarding.step.seller.find_credentials.title": "Find the credentials",
    "onboarding.step.seller.find_credentials.body": (
        "Seller ID: Settings → Account Info → Business Information → Your Merchant Token (it starts with A). "
        "LWA client ID and client secret: click View in your app's LWA credentials column (Client identifier "
        "and Client secret). Treat the secret like a password."
    ),
    "onboarding.step.seller.refresh_token.title": "Authorize the app and copy the refresh token at once",
    "onboarding.step.seller.refresh_token.body": (
        "Edit App → Authorize, then Authorize app. Amazon shows the refresh token (it starts with Atzr|) only "
        "once: copy it straight away. Lost it? Authorize again; the new token replaces the old one."
    ),
    "onboarding.step.seller.per_region.title": "One set of credentials per region",
    "onboarding.step.seller.per_region.body": (
        "An authorization covers one region. Stores in another region (NA, EU, FE) need their own "
        "authorization and their own connection here."
    ),
    # vendor steps
    "onboarding.step.vendor.prerequisites.title": "Check the basics",
    "onboarding.step.vendor.prerequisites.body": (
        "You need to be Account Owner or Admin of the Vendor Central account, or hold the Apps & Services and "
        "API (developer) permissions; otherwise the options stay greyed out. Decide which region you connect: "
        "North America (NA), Europe (EU) or Far East (FE)."
    ),
    "onboarding.step.vendor.prepare_info.title": "Gather what Amazon will ask for",
    "onboarding.step.vendor.prepare_info.body": (
        "Your registered company name, the company website, a technical contact's name and email, the "
        "marketplace you are connecting, and answers for the security questionnaire."
    ),
    "onboarding.step.vendor.roles.title": "Pick the data roles",
    "onboarding.step.vendor.roles.body": (
        "Request the roles the team needs (for example Amazon Fulfillment, Product Listing, Pricing, Inventory "
        "and Order Tracking), and confirm you won't delegate access to personal data to another developer's app."
    ),
    "onboarding.step.vendor.profile_submitted.title": "Submit the developer profile (start this first)",
    "onboarding.step.vendor.profile_submitted.body": (
        "Vendor Central → Integration → API Integration. If Amazon asks for a developer profile, fill it in and "
        "submit it; the review takes about 3-5 business days. Tick this once it is submitted."
    ),
    "onboarding.step.vendor.create_app.title": "Create the app",
    "onboarding.step.vendor.create_app.body": (
        "Integration → API Integration → Add new app client. Give it a name, choose SP API as the API type, "
        "select the roles and click Save and exit. Use Production, not Sandbox."
    ),
    "onboarding.step.vendor.find_credentials.title": "Find the credentials",
    "onboarding.step.vendor.find_credentials.body": (
        "Vendor code: Settings → Contacts (or your merchant token under Settings → Account Info → Business "
        "Information). LWA client ID and client secret: Integration → API Integration, then View in the LWA "
        "credentials column."
    ),
    "onboarding.step.vendor.refresh_token.title": "Authorise the app and copy the refresh token at once",
    "onboarding.step.vendor.refresh_token.body": (
        "Click the arrow next to Edit App → Authorise, pick the region, then Authorise app. The refresh token "
        "(it starts with Atzr|) is shown once: copy it straight away."
    ),
    "onboarding.step.vendor.per_region.title": "One set of credentials per region",
    "onboarding.step.vendor.per_region.body": (
        "An authorization covers one region. Another region needs its own authorization and its own "
        "connection here."
    ),
    # the nudge
    "onboarding.nudge.text": (
        "Has Amazon approved your developer profile? Continue here: create the app, copy the credentials and "
        "enter them in the private form."
    ),
    "onboarding.nudge.button": "Continue",
    # the modal
    "onboarding.modal.title": "Connect Amazon",
    "onboarding.modal.title_done": "Amazon connected",
    "onboarding.modal.title_failed": "Not connected yet",
    "onboarding.modal.title_confirm": "Update connection?",
    "onboarding.modal.submit": "Verify and save",
    "onboarding.modal.cancel": "Cancel",
    "onboarding.modal.close": "Close",
    "onboarding.modal.intro": (
        "Only you see this form. I check the credentials with Amazon, store them encrypted and never show the "
        "secret or the token again. Leading and trailing spaces are removed for you."
    ),
    "onboarding.modal.account_type.label": "Account type",
    "onboarding.modal.seller_id.label": "Seller ID",
    "onboarding.modal.vendor_code.label": "Vendor code",
    "onboarding.modal.selling_partner_id.label": "Seller ID",
    "onboarding.modal.selling_partner_id.placeholder": "A1B2C3D4E5F6G7",
    "onboarding.modal.selling_partner_id.hint": (
        "Sellers: your Seller ID (merchant token, starts with A). Vendors: your vendor code (Settings → Contacts)."
    ),
    "onboarding.modal.client_id.label": "LWA client ID",
    "onboarding.modal.client_id.placeholder": "amzn1.application-oa2-client.…",
    "onboarding.modal.client_id.hint": "The Client identifier under LWA credentials (View) in Developer Central.",
    "onboarding.modal.client_secret.label": "LWA client secret",
    "onboarding.modal.client_secret.placeholder": "amzn1.oa2-cs.v1.…",
    "onboarding.modal.client_secret.hint": "The Client secret under LWA credentials. It is never shown again here.",
    "onboarding.modal.refresh_token.label": "Refresh token",
    "onboarding.modal.refresh_token.placeholder": "Atzr|…",
    "onboarding.modal.refresh_token.hint": "Shown by Amazon when you authorize the app. It is never shown again here.",
    "onboarding.modal.marketplace.label": "Marketplace",
    "onboarding.modal.marketplace.placeholder": "Choose a marketplace",
    "onboarding.modal.marketplace.hint": "The region follows from the marketplace: one connection per region.",
    "onboarding.modal.connection_name.label": "Connection name",
    "onboarding.modal.connection_name.placeholder": "US Main Store",
    "onboarding.modal.connection_name.hint": "How the team will refer to this store, for example US Main Store.",
    "onboarding.modal.secret_created_on.label": "Client secret created on",
    "onboarding.modal.secret_created_on.placeholder": "Pick a date",
    "onboarding.modal.secret_created_on.hint": (
        "When the client secret was created or last rotated. Amazon expires it 180 days later; I'll remind you."
    ),
    "onboarding.form.date_invalid": "The date could not be read. Pick the day the client secret was created.",
    "onboarding.form.date_future": "That date is in the future. Pick the day the client secret was created.",
    "onboarding.form.date_expired": (
        "A client secret created on that date passed its {days} days and has expired. Rotate it in Developer "
        "Central (LWA credentials → View → Rotate secret) and paste the new one with today's date."
    ),
    "onboarding.form.name_taken": "Another connection in this workspace is already called {name}.",
    "onboarding.form.name_taken_step": "Choose a different connection name and try again.",
    "onboarding.form.name_taken_field": (
        "Another connection in this workspace is already called “{name}” (names that look alike count as the "
        "same). Choose a different one."
    ),
    # results
    "onboarding.verifying.text": (
        ":hourglass_flowing_sand: Checking your credentials with Amazon… This usually takes a few seconds. "
        "You can keep this window open; the result appears here."
    ),
    "onboarding.result.connected": ":white_check_mark: *{name}* is connected and verified with Amazon.",
    "onboarding.result.reconnected": ":white_check_mark: *{name}* was updated with the new credentials and verified.",
    "onboarding.result.announced": "I told the team channel. I'll remind you before the client secret expires.",
    "onboarding.result.still_exposed": (
        "The {what} you entered is the one posted in Slack earlier, so {name} stays flagged as exposed. Create a "
        "new one in Amazon and enter it with /connect-amazon rotate or /connect-amazon reauthorize."
    ),
    "onboarding.result.failed": ":x: *Amazon did not accept these credentials.* {cause}",
    "onboarding.result.not_saved": ":x: *Nothing was saved.* {cause}",
    "onboarding.result.unfinished": (
        ":warning: *We could not finish checking these credentials, so nothing was saved.* {cause}"
    ),
    "onboarding.result.next_step": "*Next step:* {step}",
    "onboarding.result.try_again": "Try again",
    "onboarding.result.stuck_cause": (
        "The same credentials were already being checked, and that check did not finish."
    ),
    "onboarding.result.unexpected_step": "Try again in a minute; if it keeps failing, tell whoever runs the bot.",
    "onboarding.result.interrupted_step": (
        "Press Try again and paste the client secret and refresh token once more; the other fields are kept."
    ),
    "onboarding.confirm.text": (
        "This {path} account is already connected in {region} as *{name}*. Update that connection with the "
        "credentials you just entered?"
    ),
    "onboarding.confirm.ttl": "Nothing changes until you confirm. This offer lapses after 15 minutes.",
    "onboarding.confirm.button": "Update connection",
    "onboarding.confirm.cancel": "Keep the old one",
    "onboarding.confirm.expired": (
        "That confirmation has lapsed, so nothing was changed. Open the form again and submit the credentials "
        "once more."
    ),
    "onboarding.confirm.cancelled": "Nothing was changed. The existing connection stays as it was.",
    "onboarding.confirm.not_yours": "Only the person who entered these credentials can confirm them.",
    "onboarding.confirm.not_allowed": (
        "This account is already connected as {name}, which belongs to {owner}. Only they, a workspace admin or "
        "owner, or someone listed in ADMIN_USER_IDS can replace its credentials, so nothing was changed. Ask "
        "{owner} or an admin to update it."
    ),
    "onboarding.confirm.not_allowed_lookup_failed": (
        "This account is already connected as {name}, which belongs to {owner}. Only they, a workspace admin or "
        "owner, or someone listed in ADMIN_USER_IDS can replace its credentials, and I could not check whether "
        "you are a workspace admin (Slack answered {error}). Nothing was changed; please try again in a minute."
    ),
    # announcement ({user} is a mention and {channel} a channel link, both built by bot.views.blocks)
    "onboarding.announce.connected": ":link: Amazon connection *{name}* was connected by {user}.",
    "onboarding.announce.still_exposed": (
        ":rotating_light: *{name}* stays flagged as exposed: the {what} in use was posted in Slack earlier. "
        "Replace it with `/connect-amazon rotate` or `/connect-amazon reauthorize`."
    ),
    "onboarding.announce.reconnected": (
        ":link: Amazon connection *{name}* was updated with new credentials by {user}."
    ),
    "onboarding.announce.not_in_channel": (
        "The connection is saved, but I couldn't tell the team: I'm not a member of {channel}. Invite me "
        "there with /invite and future news will arrive."
    ),
    "onboarding.announce.channel_not_found": (
        "The connection is saved, but I couldn't tell the team: the channel {channel} (NOTIFY_CHANNEL) doesn't "
        "exist or I can't see it. Ask whoever runs the bot to fix NOTIFY_CHANNEL."
    ),
    "onboarding.announce.is_archived": (
        "The connection is saved, but I couldn't tell the team: the channel {channel} is archived. Ask whoever "
        "runs the bot to choose another NOTIFY_CHANNEL."
    ),
    "onboarding.announce.failed": (
        "The connection is saved, but I couldn't tell the team in {channel} ({reason}). Please let them know."
    ),
    "onboarding.field.account_type": "Account type",
    "onboarding.field.marketplace": "Marketplace",
    "onboarding.field.region": "Region",
    "onboarding.field.region_value": "{name} ({code})",
    "onboarding.field.expires": "Client secret expires",
    "onboarding.field.store": "Store",
    "onboarding.field.verified": "Verified",
    "onboarding.field.connected_by": "Connected by",
    # status
    "onboarding.status.header": "*Amazon connections in this workspace: {count}*",
    "onboarding.status.fallback": "Amazon connections in this workspace: {count}",
    "onboarding.status.none": "No Amazon account is connected yet. Type /connect-amazon to connect one.",
    "onboarding.status.line": (
        "{emoji} *{name}* · {status}\n{path} · {marketplace} · {region} · client secret expires {expires}"
    ),
    "onboarding.status.days_left": "({days} days left)",
    "onboarding.status.expired": "(expired)",
    "onboarding.status.store": "Store: {store}",
    "onboarding.status.last_problem": "Last problem: {cause} {next_step}",
    "onboarding.status.more": "…and {count} more.",
    "onboarding.status.connected": "connected",
    "onboarding.status.failing": "failing",
    "onboarding.status.exposed": "exposed (secret leaked)",
    "onboarding.status.exposed_beside": ":rotating_light: exposed ({what} in use was posted in Slack)",
    "onboarding.status.disconnected": "disconnected",
    # App Home
    "onboarding.home.title": "Amazon connections",
    "onboarding.home.intro": (
        "Connect Amazon seller or vendor accounts for the team. Type /connect-amazon to start; your checklist "
        "progress shows here."
    ),
    "onboarding.home.progress_title": "Your checklist",
    "onboarding.home.not_started": "You haven't started the checklist yet. Type /connect-amazon to begin.",
    "onboarding.home.connections_title": "The team's connections",
    # help
    "onboarding.help.fallback": "How to use /connect-amazon",
    "onboarding.help.intro": "*/connect-amazon* connects Amazon SP-API accounts for the team:",
    "onboarding.help.command.start": (
        "• `/connect-amazon` (or `start`): a private checklist in a DM, then a private form for the credentials."
    ),
    "onboarding.help.command.status": "• `/connect-amazon status`: every connection's status and client secret expiry.",
    "onboarding.help.command.help": "• `/connect-amazon help`: this help.",
    "onboarding.help.extra.rotate": (
        "• `/connect-amazon rotate NAME`: paste a newly rotated client secret for a connection."
    ),
    "onboarding.help.extra.reauthorize": (
        "• `/connect-amazon reauthorize NAME`: paste a new refresh token after re-authorizing."
    ),
    "onboarding.help.extra.disconnect": (
        "• `/connect-amazon disconnect NAME`: erase a connection's secrets (asks first)."
    ),
    "onboarding.help.extra.audit": "• `/connect-amazon audit [NAME]`: the audit trail (admins only).",
    "onboarding.help.outro": "Never paste a secret or token into a channel or DM: only into the private form.",
    # --- end onboarding --------------------------------------------------------------------------
    # --- general.language (/connect-amazon language: each person's own language; bot.flows.language)
    # a language's name as it is listed to people (by its LOCALES module name); {language} below is one
    "general.language.name.en": "English",
    "general.language.name.zh_cn": "简体中文 (Simplified Chinese)",
    # one accepted value in a list of {choices}: {code} is what to type
    "general.language.choice": "`{code}` ({name})",
    "general.language.choice.auto": "`{code}` (follow your Slack language)",
    "general.language.set": (
        "Done: the bot now speaks {language} to you, whatever your Slack language. "
        "`/connect-amazon language auto` follows your Slack language again."
    ),
    "general.language.auto": "Done: the bot follows your Slack language again.",
    "general.language.current.chosen": (
        "The bot speaks {language} to you: your own choice. "
        "To change it, type `/connect-amazon language` and one of: {choices}."
    ),
    "general.language.current.slack": (
        "The bot speaks {language} to you, following your Slack language. "
        "To choose another, type `/connect-amazon language` and one of: {choices}."
    ),
    "general.language.unknown": (
        "The bot does not speak {value}: type `/connect-amazon language` and one of: {choices}. Nothing was changed."
    ),
    "general.language.failed": (
        "Your language could not be saved just now, and nothing was changed: try again in a minute."
    ),
    # the help line (bot/views/help.py lists onboarding.help.extra.<subcommand>)
    "onboarding.help.extra.language": (
        "• `/connect-amazon language zh-CN|en|auto`: the language the bot speaks to you "
        "(`auto`: your Slack language)."
    ),
    # --- end general.language --------------------------------------------------------------------
    # --- jobs and workers: the doctor's queue line ------------------------------------------------
    "general.doctor.queue_ok": (
        "job queue: {depth} job(s) waiting (the oldest for {oldest} s), {running} running, "
        "{workers} live worker(s)."
    ),
    "general.doctor.queue_stuck": (
        "job queue: {depth} job(s) have waited up to {oldest} s and no worker is alive, so nobody is answered: "
        "start the bot with `python -m bot run` (WORKERS at least 1) or start `python -m bot worker`."
    ),
    "general.doctor.queue_unchecked": (
        "job queue: not checked, because the database check failed or its migrations are not current "
        "(see the lines above)."
    ),
    # --- end jobs and workers ----------------------------------------------------------------------
    # --- tool keys and the tools' API (issue 15) ----------------------------------------------
    "onboarding.help.extra.keys": (
        "• `/connect-amazon keys create TOOL CONNECTION...|* [--export]`, `keys list`, `keys revoke TOOL`: "
        "API keys for the team's tools, which then get short-lived access tokens from the bot (admins only)."
    ),
    "guard.keys.usage": (
        "Type `/connect-amazon keys create TOOL CONNECTION...` (or `*` for every connection; add `--export` "
        "only for a tool that needs the full credentials), `/connect-amazon keys list` or "
        "`/connect-amazon keys revoke TOOL`."
    ),
    "guard.keys.usage.quotes": (
        "A quote is not closed: put a connection name w"
        "ith spaces in \"double quotes\" and try again."
    ),
    "guard.keys.bad_tool_name": (
        "{tool} cannot be a tool name: use 1 to 40 letters, digits, `.`, `_` or `-`, starting with a letter "
        "or a digit."
    ),
    "guard.keys.all_alone": "`*` already means every connection: type it alone, without connection names.",
    "guard.keys.too_many": "A key can name at most {limit} connections; use `*` for every connection instead.",
    "guard.keys.refused": (
        "Only workspace admins and owners, and the people in ADMIN_USER_IDS, can manage tool keys. "
        "Nothing was changed: ask one of them."
    ),
    "guard.keys.lookup_failed": (
        "Slack could not tell whether you are a workspace admin ({error}), so nothing was changed: "
        "try again in a minute."
    ),
    "guard.keys.unknown_connection": (
        "There is no connection {name} in this workspace, so no key was made: "
        "`/connect-amazon status` lists the connections."
    ),
    "guard.keys.disconnected_connection": (
        "The connection {name} is disconnected, so no key was made: connect it again first, or leave it out."
    ),
    "guard.keys.name_taken": (
        "A key for {tool} already exists, so no new one was made. To replace it, "
        "`/connect-amazon keys revoke {tool}` first, then create it again."
    ),
    "guard.keys.scope.all": "every connection of the workspace (also later ones)",
    "guard.keys.kind.token": "access tokens only",
    "guard.keys.kind.export": "access tokens and the full credentials (export)",
    "guard.keys.created.title": "New key for {tool}",
    "guard.keys.created.fallback": "New key for {tool}: shown once, only to you.",
    "guard.keys.created.scope": "*Connections:* {scope}\n*Allows:* {kind}",
    "guard.keys.created.usage": (
        "Put it in the tool's secret store (an environment variable, a password manager) and have the tool "
        "call {path} on the bot's address with the header `Authorization: Bearer` and the key. The answer "
        "holds an access token (valid up to an hour) and the SP-API endpoint to use it with; the README shows "
        "examples."
    ),
    "guard.keys.created.once": (
        "This is the only time the key is shown, and only to you: the bot keeps just a keyed hash of it. "
        "Lost it? Revoke it and create a new one."
    ),
    "guard.keys.list.title": "Tool keys",
    "guard.keys.list.empty": "There are no tool keys yet: `/connect-amazon keys create TOOL CONNECTION...` makes one.",
    "guard.keys.list.never_used": "never",
    "guard.keys.list.row": (
        "{tool} ({prefix})\n{scope} · {kind}\nMade by {creator} on {created} · last used: {used}"
    ),
    "guard.keys.list.more": "Showing {shown} of {total} keys.",
    "guard.keys.revoke.unknown": "There is no key for {tool}: `/connect-amazon keys list` shows the keys.",
    "guard.keys.revoke.done": (
        "The key for {tool} is revoked: every copy of the bot refuses it within {seconds} seconds. "
        "Access tokens it already got stay valid until they expire (at most an hour)."
    ),
    "guard.keys.audit.created": "key for {tool}: {scope}; {kind}",
    "guard.keys.audit.revoked": "key for {tool} revoked",
    "guard.keys.audit.exported": "credentials fetched by the tool {tool}",
    "guard.audit.action.tool_key_created": "made a tool key",
    "guard.audit.action.tool_key_revoked": "revoked a tool key",
    "guard.audit.action.credentials_exported": "credentials exported to a tool",
    "guard.keys.status.tools": "Used by: {tools}",
    "guard.keys.reminder.exporters": (
        "These tools fetched the current secret and must be given the new one after the rotation: {tools}. "
        "Tools that take access tokens from the bot need nothing."
    ),
    # the HTTP API's error messages (English only: they are read by a tool's developer, in logs)
    "guard.api.no_key": (
        "Send a tool key: `Authorization: Bearer amzc_…`. A workspace admin makes one with "
        "/connect-amazon keys create in Slack."
    ),
    "guard.api.unknown_key": (
        "This key is unknown or was revoked: ask a workspace admin for a new one "
        "(/connect-amazon keys create in Slack)."
    ),
    "guard.api.scope": (
        "This key may not use the connection {name}: GET /v1/connections lists the ones it may use; a "
        "workspace admin can make a key that includes it."
    ),
    "guard.api.not_export": (
        "This key may not fetch full credentials: ask for an access token "
        "(POST /v1/connections/{name}/access-token), or have an admin make a key with --export."
    ),
    "guard.api.not_found": (
        "There is no connection {name} in this key's workspace: GET /v1/connections lists the ones it may use."
    ),
    "guard.api.no_route": "There is no such endpoint: GET /v1/openapi.json describes the API.",
    "guard.api.method": "This endpoint does not take this method: GET /v1/openapi.json describes the API.",
    "guard.api.bad_request": "The request is malformed: GET /v1/openapi.json describes the API.",
    "guard.api.disconnected": (
        "The connection {name} is disconnected and its secrets are erased: someone must connect it again "
        "with /connect-amazon in Slack."
    ),
    "guard.api.failing": (
        "The connection {name} is failing its health checks: {cause} {next} Until then it gives no tokens."
    ),
    "guard.api.refused": "Amazon did not accept the stored credentials of {name}: {cause} {next}",
    "guard.api.unreadable": (
        "The bot cannot read the stored secrets of {name} (an encryption key is missing): the bot's operator "
        "should run `python -m bot doctor`."
    ),
    "guard.api.rate_limited": (
        "Too many requests with this key: retry after {seconds} s (at most {limit} requests a minute, "
        "API_RATE_LIMIT)."
    ),
    "guard.api.amazon_unavailable": (
        "Login with Amazon gave no token just now: {cause} Nothing is wrong with the connection; retry in a "
        "minute."
    ),
    "guard.api.internal": "The bot failed to answer; retry in a minute, and tell its operator if it persists.",
    "guard.keys.cli.not_found": "There is no connection {name}: `python -m bot token` takes a connection's name.",
    "guard.keys.cli.ambiguous": (
        "Several workspaces have a connection {name}: add `--team` and the workspace's ID (T…)."
    ),
    # --- end tool keys ----------------------------------------------------------------------------
    # --- automatic rotation (issue 16: Amazon's Application Management API and its SQS notifications) ---
    "lifecycle.autorotate.rotated": (
        ":repeat: Amazon rotated the LWA client secret of {name} ({marketplace}, {region}) automatically. The bot "
        "verified the new secret and stored it encrypted; it expires {expires_on}. The old secret works until "
        "{old_until}. Tools that get their access tokens from the bot need no change."
    ),
    "lifecycle.autorotate.rotated.text": (
        "The LWA client secret of {name} was rotated automatically; the old secret works until {old_until}."
    ),
    "lifecycle.autorotate.unverified": (
        ":warning: Amazon sent a new LWA client secret for {name} ({marketplace}, {region}), but it did not verify: "
        "{cause} Nothing was stored: the connection keeps its current secret, which works until {old_until}."
    ),
    "lifecycle.autorotate.unverified.text": (
        "The new client secret Amazon sent for {name} did not verify; nothing was changed."
    ),
    "lifecycle.autorotate.unverified.next": (
        "Next: in Developer Central → LWA credentials → View, copy the app's current client secret and give it to "
        "the bot with `/connect-amazon rotate {name}`, then check with `/connect-amazon status`."
    ),
    "lifecycle.autorotate.request_failed": (
        ":warning: The bot asked Amazon to rotate the LWA client secret of {name} ({marketplace}, {region}), and "
        "it was not done: {cause}"
    ),
    "lifecycle.autorotate.request_failed.text": "Automatic rotation of the client secret of {name} did not go through.",
    "lifecycle.autorotate.request.not_enrolled": (
        "Amazon answers that the app is not enrolled for rotation notifications. In Developer Central → "
        "Notification preferences, send both \"Application Client Secret Expiry\" and \"Application Client New "
        "Secret\" to the bot's SQS queue (the checklist's automatic rotation section), or rotate by hand with "
        "`/connect-amazon rotate {name}`. (Amazon request {request})"
    ),
    "lifecycle.autorotate.request.secret_refused": (
        "Login with Amazon did not accept the stored client secret. Rotate it by hand in Developer Central → LWA "
        "credentials and give the new one to the bot with `/connect-amazon rotate {name}`. (Amazon request "
        "{request})"
    ),
    "lifecycle.autorotate.request.not_allowed": (
        "Amazon refused the rotation call for this app. Rotate by hand in Developer Central → LWA credentials and "
        "give the new secret to the bot with `/connect-amazon rotate {name}`. (Amazon request {request})"
    ),
    "lifecycle.autorotate.request.unavailable": (
        "Amazon did not answer the rotation request after several tries. Click \"Rotate now via Amazon\" on a "
        "reminder later, or rotate by hand with `/connect-amazon rotate {name}`. (Amazon request {request})"
    ),
    "lifecycle.autorotate.request.unexpected": (
        "The bot could not read Amazon's answer to the rotation request. Check `/connect-amazon status`; if the "
        "secret is close to expiry, rotate by hand with `/connect-amazon rotate {name}`. (Amazon request {request})"
    ),
    "lifecycle.autorotate.command.on": (
        "Automatic rotation is on for {name}: when Amazon says its client secret expires within {days} days, the "
        "bot asks Amazon to rotate it, verifies the new secret, stores it and tells the team channel."
    ),
    "lifecycle.autorotate.command.on_no_queue": (
        "Automatic rotation is on for {name}, but this bot has no rotation queue yet (`ROTATION_QUEUE_URL`): "
        "nothing happens until it is set up (the checklist's automatic rotation section)."
    ),
    "lifecycle.autorotate.command.off": (
        "Automatic rotation is off for {name}: rotate its client secret by hand with `/connect-amazon rotate "
        "NAME`. Amazon's expiry notices still keep its expiry date right."
    ),
    "lifecycle.autorotate.command.usage": (
        "Type `/connect-amazon autorotate NAME on` or `/connect-amazon autorotate NAME off`. Nothing was changed."
    ),
    "lifecycle.autorotate.command.failed": (
        "Automatic rotation could not be changed just now, and nothing was changed: try again."
    ),
    "onboarding.help.extra.autorotate": (
        "• `/connect-amazon autorotate NAME on|off`: let the bot rotate the client secret through Amazon "
        "(owner or admin)."
    ),
    "lifecycle.autorotate.status.on": ":repeat: automatic rotation on",
    "lifecycle.autorotate.button.now": "Rotate now via Amazon",
    "lifecycle.autorotate.now.queued": (
        "Asking Amazon to rotate the client secret of {name}. The new secret arrives within minutes; the bot "
        "verifies it and tells the team channel."
    ),
    "lifecycle.autorotate.now.already": (
        "The rotation of {name} was asked a moment ago; Amazon allows one request a minute."
    ),
    "lifecycle.autorotate.now.no_queue": (
        "Rotation through Amazon is not set up for this bot (`ROTATION_QUEUE_URL` is unset): use Rotate now."
    ),
    "guard.audit.action.autorotate_on": "turned automatic rotation on",
    "guard.audit.action.autorotate_off": "turned automatic rotation off",
    "guard.audit.action.secret_expiry_from_amazon": "took the client secret's expiry from Amazon",
    "guard.audit.action.rotation_requested": "asked Amazon to rotate the client secret",
    "lifecycle.autorotate.audit.detail.expiry": "expiry {before} → {expires}",
    "lifecycle.autorotate.audit.detail.requested": "Amazon request {request}",
    "onboarding.checklist.rotation.intro": (
        "*Optional: automatic rotation.* The bot can rotate the LWA client secret itself before it expires, "
        "through Amazon's Application Management API, and tell the team channel. The bot's administrator does "
        "these steps once per app; then `/connect-amazon autorotate NAME on` turns it on per connection."
    ),
    "onboarding.step.rotation.rotation_queue.title": "Create an SQS queue",
    "onboarding.step.rotation.rotation_queue.body": (
        "In the AWS console → Amazon SQS → *Create queue*: a Standard queue (for example `amazon-connect-rotation`) "
        "in your AWS account, with a visibility timeout of 5 minutes (checking a new secret with Amazon may take a "
        "while). Note its URL and its ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`)."
    ),
    "onboarding.step.rotation.rotation_policy.title": "Let Amazon's SP-API send to it",
    "onboarding.step.rotation.rotation_policy.body": (
        "On the queue → *Access policy* → Edit, add a statement that allows the principal `437568002678` (Amazon's "
        "SP-API notifications account) the actions `sqs:SendMessage` and `sqs:GetQueueAttributes` on the queue's "
        "ARN, as Amazon's notifications guide documents. Encrypted with your own KMS key? Let that principal "
        "use the key too."
    ),
    "onboarding.step.rotation.rotation_preferences.title": "Route the two rotation notifications to the queue",
    "onboarding.step.rotation.rotation_preferences.body": (
        "In Developer Central → Developer Console → *Notification preferences*, for this app: on the "
        "\"Application Client Secret Expiry\" row and on the \"Application Client New Secret\" row, *Add new "
        "destination (SQS ARN)* with the queue's ARN, then *Subscribe*."
    ),
    "onboarding.step.rotation.rotation_settings.title": "Give the bot the queue",
    "onboarding.step.rotation.rotation_settings.body": (
        "Set `ROTATION_QUEUE_URL` to the queue's URL and give the bot's worker AWS credentials that may receive and "
        "delete its messages (`sqs:ReceiveMessage`, `sqs:DeleteMessage`, `sqs:GetQueueAttributes`) the usual AWS "
        "way (an instance role, `AWS_PROFILE`, or `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, and `AWS_REGION`). "
        "`ROTATE_BEFORE_DAYS` (7) is how long before expiry it rotates. `python -m bot doctor` checks the queue."
    ),
    "general.doctor.rotation_queue_ok": "Rotation queue {url}: answers ({waiting} message(s) waiting).",
    "general.doctor.rotation_queue_down": "Rotation queue {url}: does not answer ({reason}). {hint}",
    "general.doctor.rotation_queue_hint": (
        "Check ROTATION_QUEUE_URL (the queue's URL in the AWS console), AWS_REGION, and that the bot's AWS "
        "credentials may call sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage on it."
    ),
    "general.doctor.rotation_queue_credentials": (
        "Give the bot AWS credentials the usual AWS way: an instance or task role, AWS_PROFILE, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or unset ROTATION_QUEUE_URL to turn automatic rotation off)."
    ),
    # --- end automatic rotation ------------------------------------------------------------------
}
