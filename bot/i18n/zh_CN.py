"""简体中文消息（Simplified Chinese messages）。键与 en.py 相同，按功能分组；每个键的 {占位符} 与 en.py 一致。"""

# 术语表（English term → 中文术语）：
#   Seller Central → 卖家中心
#   Vendor Central → 供应商中心
#   Developer Central → Developer Central（开发者中心）；短句中写“开发者中心”
#   Solution Provider Portal → Solution Provider Portal（解决方案提供商门户）
#   Apps and Services / Apps & Services → Apps and Services（应用和内容）
#   Develop Apps → Develop Apps（开发应用）
#   developer profile → 开发者资料
#   app → 应用
#   app client → 应用客户端
#   credentials → 凭证
#   LWA credentials, View, Rotate secret, Edit App, Authorize（Amazon 页面上的栏目和按钮）→ 原样保留
#   LWA client ID / Client identifier → LWA 客户端 ID（上下文明确时写“客户端 ID”）
#   LWA client secret / Client secret → LWA 客户端密钥（上下文明确时写“客户端密钥”）
#   refresh token → 刷新令牌
#   access token → 访问令牌
#   Seller ID / merchant token → Seller ID / 卖家记号（Your Merchant Token）
#   vendor code → 供应商代码
#   account type → 账户类型；Seller / Vendor → 卖家 / 供应商
#   primary account user → 主账号
#   Professional selling account → 专业卖家账号
#   connection → 连接；connection name → 连接名称
#   connect / disconnect → 连接 / 断开连接
#   marketplace → 站点（美国站、英国站、德国站、日本站……）
#   marketplace ID → 站点 ID（marketplace ID）
#   region → 区域：North America → 北美，Europe → 欧洲，Far East → 远东
#   store → 店铺
#   authorize / re-authorize → 授权 / 重新授权
#   rotate (a secret) → 轮换
#   expire / expiry → 到期（已过期）
#   verify → 验证
#   health check → 健康检查
#   exposed / leaked → 已泄露
#   leak guard → 泄露防护
#   audit trail → 审计记录
#   data roles → 数据角色
#   security questionnaire → 安全问卷
#   Sandbox / Production → Sandbox（沙盒）/ Production（生产环境）
#   request id → 请求 ID
#   workspace → 工作区；workspace admin / owner → 工作区管理员 / 所有者
#   team channel → 团队频道
#   direct message (DM) → 私信
#   Home tab / App Home → 主页标签页
#   checklist → 步骤清单
#   private form → 私密表单
#   encryption key → 加密密钥
#   database / migration / revision → 数据库 / 迁移 / 版本
#   settings（环境变量）→ 设置项；setting names stay as they are (NOTIFY_CHANNEL, ENCRYPTION_KEYS, …)
#   Identifiers stay as they are: Seller ID, LWA, Login with Amazon, SP-API, Atzr|, amzn1., Slack, Amazon,
#   /connect-amazon and its sub-commands.
#
# Slack mrkdwn: *粗体*、_斜体_ 和 `代码` 旁边如果紧挨着汉字，Slack 不会渲染，所以两侧留空格（或半角标点）。

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- general -----------------------------------------------------------------------------
    # how dates, times and lists are written (bot.views.blocks.Words)
    "general.date": "{year}年{month}月{day}日",
    "general.datetime": "{date} {hour:02d}:{minute:02d} UTC",
    "general.list_separator": "、",
    # 语言（/connect-amazon language）
    "general.language.name.en": "English（英语）",
    "general.language.name.zh_cn": "简体中文",
    "general.language.choice": "`{code}` （{name}）",
    "general.language.choice.auto": "`{code}` （跟随你的 Slack 语言）",
    "general.language.set": (
        "好的：以后机器人会用{language}和你交流，不管 Slack 设的是什么语言。"
        "输入 `/connect-amazon language auto` 可以改回跟随 Slack。"
    ),
    "general.language.auto": "好的：机器人会重新跟随你的 Slack 语言。",
    "general.language.current.chosen": (
        "机器人现在用{language}和你交流，这是你自己选的。要更改，请输入 `/connect-amazon language` "
        "加上其中一项：{choices}。"
    ),
    "general.language.current.slack": (
        "机器人现在用{language}和你交流，跟随你的 Slack 语言。要换一种，请输入 `/connect-amazon language` "
        "加上其中一项：{choices}。"
    ),
    "general.language.unknown": (
        "机器人不支持 {value}。请输入 `/connect-amazon language` 加上其中一项：{choices}。没有做任何更改。"
    ),
    "general.language.failed": "暂时没能保存你的语言设置，什么都没有改。请过一分钟再试。",
    "general.unexpected_error": (
        "我们这边出了点问题，没有做任何更改。请一分钟后再试；如果一直出现，请联系你的 Slack 管理员。"
    ),
    "general.job_failed": (
        "这项操作试了几次都没能完成。请过几分钟再试；如果一直这样，请告诉你的 Slack 管理员。"
    ),
    "general.listener_failed": (
        "处理这项操作时我们这边出了点问题，操作可能没有完成。请一分钟后再试；如果一直出现，请联系你的 Slack 管理员。"
    ),
    # start-up checks of `run` and `sweep` (printed to the operator; the bot exits with code 2)
    "general.startup.cannot_start": "机器人无法启动：",
    "general.startup.missing_keys": (
        "数据库中的凭证是用加密密钥 {kids} 加密的，但 {source} 中没有这个密钥，所以机器人在做任何更改之前就停止了。"
        "请恢复该密钥（把它的 KID:BASE64 条目加回 ENCRYPTION_KEYS，放在最新密钥之后），"
        "或把 ENCRYPTION_KEYS 设为包含它的条目。"
    ),
    "general.startup.missing_key_file": (
        "数据库中的凭证是用加密密钥 {kids} 加密的，但没有设置 ENCRYPTION_KEYS，密钥文件 {path} 也不存在，"
        "所以机器人没有生成新密钥就停止了。请从备份中恢复该密钥文件，或把 ENCRYPTION_KEYS 设为包含 {kids} 的 "
        "KID:BASE64 条目。"
    ),
    "general.startup.database_unreachable": (
        "DATABASE_URL：无法连接数据库 {where}（{reason}）。请启动数据库或更正 DATABASE_URL，然后重新启动机器人。"
    ),
    "general.startup.sqlite_unopenable": (
        "DATABASE_URL：无法打开 SQLite 文件 {where}（{reason}）。请确认所在文件夹存在、当前用户有写入权限，"
        "或更正 DATABASE_URL。"
    ),
    "general.startup.slack_token_rejected": (
        "Slack 拒绝了 SLACK_BOT_TOKEN（{error}）。请到 Slack 应用的 OAuth & Permissions 页面重新复制 "
        "Bot User OAuth Token（xoxb-…）；如果应用已被移除，请把它重新安装到工作区。"
    ),
    "general.startup.slack_app_token_rejected": (
        "Slack 拒绝了 SLACK_APP_TOKEN（{error}）。请在 Slack 应用的 Basic Information 页面创建一个带 "
        "connections:write 权限范围的 App-Level Token，并把 SLACK_APP_TOKEN 设为它；或者不设置它，以 HTTP 模式运行。"
    ),
    "general.startup.slack_unreachable": (
        "SLACK_API_URL {url} 上的 Slack 没有响应（{reason}）。请检查这台主机访问 Slack 的网络（代理、防火墙、DNS），"
        "或不设置 SLACK_API_URL，改用 {default}。"
    ),
    "general.startup.slack_not_slack": (
        "SLACK_API_URL {url} 的响应不像 Slack Web API（HTTP {status}）。请不设置 SLACK_API_URL，改用 {default}，"
        "或更正它。"
    ),
    "general.startup.slack_error": (
        "机器人检查 {setting} 时，Slack 返回了 {error}。请一分钟后再试；"
        "如果一直出现，请查看 https://slack-status.com 。"
    ),
    # `python -m bot doctor`: one line per check (after ✓ or ✗); a failing line says what to do
    "general.doctor.settings_ok": "设置项：完整（{mode}）。",
    "general.doctor.mode_socket": "Socket Mode，因为设置了 SLACK_APP_TOKEN",
    "general.doctor.mode_http": "HTTP 模式，端口 {port}，因为没有设置 SLACK_APP_TOKEN",
    "general.doctor.settings_first": (
        "其他检查需要先有这些设置项：请在环境变量或 .env 中改好，然后重新运行 `python -m bot doctor`。"
    ),
    "general.doctor.database_ok": "数据库 {where}：可以连接，迁移已是最新（版本 {revision}）。",
    "general.doctor.database_empty": (
        "数据库 {where}：可以连接，但还没有表；`python -m bot run` 首次启动时会创建。"
    ),
    "general.doctor.database_new_file": (
        "数据库：SQLite 文件 {where} 还不存在；`python -m bot run` 首次启动时会创建。"
    ),
    "general.doctor.database_behind": (
        "数据库 {where}：可以连接；有 {count} 个迁移待执行（从版本 {current} 到 {head}），"
        "`python -m bot run` 启动时会自动执行。"
    ),
    "general.doctor.database_ahead": (
        "数据库 {where}：当前版本是 {current}，这个版本的机器人不认识它（是更新的版本做的迁移）。"
        "请运行那个更新的版本，或恢复迁移之前的备份。"
    ),
    "general.doctor.keys_ok": (
        "加密密钥：已存凭证用到的加密密钥都在，并且能解密（{in_use}）；{source} 中有 {held}。"
    ),
    "general.doctor.keys_wrong_material": (
        "加密密钥：{source} 中 ID 为“{kid}”的密钥无法解密用该 ID 加密的凭证，说明这是另一个同 ID 的密钥。"
        "请放回“{kid}”原来的 KID:BASE64 条目。"
    ),
    "general.doctor.keys_none_stored": "加密密钥：还没有存储任何凭证；{source} 中有 {held}。",
    "general.doctor.keys_will_generate": (
        "加密密钥：没有设置 ENCRYPTION_KEYS，也还没有存储任何凭证；`python -m bot run` 首次启动时会生成 {path}"
        "（试用没问题；生产环境应从密钥管理服务传入 ENCRYPTION_KEYS）。"
    ),
    "general.doctor.keys_unchecked": "加密密钥：未检查，因为数据库检查失败（见上一行）。",
    "general.doctor.slack_ok": "Slack：SLACK_BOT_TOKEN 可用；机器人在 {team}（{team_id}）中的名字是 @{user}。",
    "general.doctor.app_token_ok": "Slack：SLACK_APP_TOKEN 可以建立 Socket Mode 连接。",
    "general.doctor.channel_ok": "NOTIFY_CHANNEL {channel}：机器人是该频道成员。",
    "general.doctor.channel_not_member": (
        "NOTIFY_CHANNEL {channel}：机器人不是该频道成员，在那里发消息会失败。请在该频道中输入 /invite @{bot} 。"
    ),
    "general.doctor.channel_not_found": (
        "NOTIFY_CHANNEL {channel}：机器人找不到这个 ID 的频道。请核对 ID（打开频道，点击频道名称，"
        "频道 ID 在最下方）；如果是私密频道，请先邀请机器人加入。"
    ),
    "general.doctor.channel_error": (
        "NOTIFY_CHANNEL {channel}：机器人读取该频道时，Slack 返回了 {error}。请用 manifest.yml 重新安装应用"
        "（需要 channels:history 和 groups:history 权限范围），然后再试。"
    ),
    "general.doctor.channel_unchecked": (
        "NOTIFY_CHANNEL {channel}：未检查，因为 Slack 检查失败（见上一行）。"
    ),
    "general.doctor.amazon_ok": "{what} {url}：可以连接（HTTP {status}）。",
    "general.doctor.amazon_down": (
        "{what} {url}：没有响应（{reason}）。请检查这台主机访问 Amazon 的网络（代理、防火墙、DNS）{hint}。"
    ),
    "general.doctor.amazon_hint": "，或更正 {setting}",
    "general.doctor.all_passed": "所有检查都已通过：用 `python -m bot run` 启动机器人。",
    "general.doctor.failed": (
        "有 {count} 项检查未通过：请按 ✗ 行的提示修正，然后重新运行 `python -m bot doctor`。"
    ),
    # --- amazon (verification verdicts, credential format checks) -------------------------------
    # verdicts: (cause, next step) per kind; {store_part}, {marketplace_part}, {role}, {request_part}
    "amazon.verdict.verified.cause": "Amazon 已接受这些凭证{store_part}{marketplace_part}。",
    "amazon.verdict.verified.next": "无需操作：连接正常。",
    "amazon.verdict.invalid_client.cause": "Login with Amazon 不接受这个 LWA 客户端 ID 或客户端密钥。",
    "amazon.verdict.invalid_client.next": (
        "在 Developer Central（开发者中心）打开该应用，点击 LWA credentials 下的 View，"
        "重新复制 Client identifier 和 Client secret，分别粘贴到对应的栏中。"
    ),
    "amazon.verdict.secret_expired.cause": (
        "LWA 客户端密钥已过期：密钥的有效期是 180 天，轮换后旧密钥只能再用 7 天。"
    ),
    "amazon.verdict.secret_expired.next": (
        "在开发者中心打开 LWA credentials 下的 View，点击 Rotate secret，然后把新的客户端密钥粘贴到这里。"
    ),
    "amazon.verdict.invalid_grant.cause": (
        "Login with Amazon 拒绝了这个刷新令牌：它已被撤销、属于另一个应用，或已被更新的授权取代。"
    ),
    "amazon.verdict.invalid_grant.next": (
        "重新授权该应用（Edit App → Authorize），然后粘贴新的刷新令牌（Atzr|...）。"
    ),
    "amazon.verdict.unauthorized_client.cause": (
        "Login with Amazon 认识这个应用，但不允许它用刷新令牌换取访问令牌（unauthorized_client）。"
        "通常是该应用在开发者中心的注册还没完成，或者这组 LWA 凭证不属于 Selling Partner API 应用{request_part}。"
    ),
    "amazon.verdict.unauthorized_client.next": (
        "在开发者中心打开该应用，确认注册已完成，并确认 LWA 客户端 ID 和客户端密钥正是该应用 LWA credentials "
        "下的那一组；然后重新授权该应用（Edit App → Authorize），粘贴新的刷新令牌（Atzr|...）。"
    ),
    "amazon.verdict.marketplace_not_authorized.cause": (
        "凭证可用，但不适用于你选择的站点{marketplace_part}。每个区域（北美、欧洲、远东）都需要单独授权。"
    ),
    "amazon.verdict.marketplace_not_authorized.next": (
        "请选择这次授权覆盖的站点；或者为该区域授权应用，然后粘贴 Amazon 为该区域显示的刷新令牌。"
    ),
    "amazon.verdict.missing_role.cause": (
        "Amazon 拒绝了请求：应用缺少{role}角色（或者这次授权属于另一个区域）。"
    ),
    "amazon.verdict.missing_role.next": (
        "在开发者中心编辑该应用，添加{role}角色，然后重新授权应用，并粘贴新的刷新令牌。"
    ),
    "amazon.verdict.rate_limited.cause": "Amazon 目前限制了我们的调用频率{request_part}。",
    "amazon.verdict.rate_limited.next": (
        "请几分钟后再试；就我们所知，凭证本身没有问题。"
    ),
    "amazon.verdict.amazon_unavailable.cause": "Amazon 返回了服务器错误{request_part}。",
    "amazon.verdict.amazon_unavailable.next": (
        "请几分钟后再试；如果一直失败，请查看 Amazon 的 SP-API 状态页面。"
    ),
    "amazon.verdict.amazon_error.cause": (
        "Amazon 那边出了问题，拒绝了请求；这并不说明凭证有问题{request_part}。"
    ),
    "amazon.verdict.amazon_error.next": (
        "凭证无需修改：请稍后再试。如果一直出现，请查看 Amazon 的 SP-API 状态页面，并把请求 ID 告诉机器人的运维人员。"
    ),
    "amazon.verdict.network_error.cause": "我们无法通过网络连接到 Amazon。",
    "amazon.verdict.network_error.next": (
        "请几分钟后再试；如果一直失败，请让机器人的运维人员检查网络访问。"
    ),
    "amazon.verdict.timeout.cause": "Amazon 没有及时响应。",
    "amazon.verdict.timeout.next": "请几分钟后再试。",
    "amazon.verdict.unexpected.cause": "Amazon 返回了意料之外的响应{request_part}。",
    "amazon.verdict.unexpected.next": (
        "请稍后再试；如果再次出现，请把请求 ID 告诉机器人的运维人员。"
    ),
    "amazon.verdict.part.store": "（店铺：{store}）",
    "amazon.verdict.part.authorized": "，已授权站点：{marketplaces}",
    "amazon.verdict.part.verified_in": "，适用于{marketplaces}",
    "amazon.verdict.part.request": "（Amazon 请求 ID：{request_id}）",
    "amazon.verdict.part.role_unknown": "所需的",
    "amazon.marketplace.name": "{name}（{country}）",
    # marketplace and region names (bot.views.blocks.Words.marketplace/region); Amazon's "Marketplace IDs" page
    "amazon.marketplace.CA": "加拿大站",
    "amazon.marketplace.US": "美国站",
    "amazon.marketplace.MX": "墨西哥站",
    "amazon.marketplace.BR": "巴西站",
    "amazon.marketplace.IE": "爱尔兰站",
    "amazon.marketplace.ES": "西班牙站",
    "amazon.marketplace.UK": "英国站",
    "amazon.marketplace.FR": "法国站",
    "amazon.marketplace.BE": "比利时站",
    "amazon.marketplace.NL": "荷兰站",
    "amazon.marketplace.DE": "德国站",
    "amazon.marketplace.IT": "意大利站",
    "amazon.marketplace.SE": "瑞典站",
    "amazon.marketplace.ZA": "南非站",
    "amazon.marketplace.PL": "波兰站",
    "amazon.marketplace.EG": "埃及站",
    "amazon.marketplace.TR": "土耳其站",
    "amazon.marketplace.SA": "沙特阿拉伯站",
    "amazon.marketplace.AE": "阿联酋站",
    "amazon.marketplace.IN": "印度站",
    "amazon.marketplace.SG": "新加坡站",
    "amazon.marketplace.AU": "澳大利亚站",
    "amazon.marketplace.JP": "日本站",
    "amazon.region.NA": "北美",
    "amazon.region.EU": "欧洲",
    "amazon.region.FE": "远东",
    # the fields of the connect form
    "amazon.field.account_type.label": "账户类型",
    "amazon.field.seller_id.label": "Seller ID",
    "amazon.field.vendor_code.label": "供应商代码",
    "amazon.field.client_id.label": "LWA 客户端 ID",
    "amazon.field.client_secret.label": "LWA 客户端密钥",
    "amazon.field.refresh_token.label": "刷新令牌",
    "amazon.field.marketplace.label": "站点",
    "amazon.field.connection_name.label": "连接名称",
    "amazon.field.client_id.how_to": (
        "LWA 客户端 ID 就是开发者中心 LWA credentials（View）下的 Client identifier，"
        "以 amzn1.application-oa2-client 开头。"
    ),
    "amazon.field.client_secret.how_to": (
        "LWA 客户端密钥就是开发者中心 LWA credentials（View）下的 Client secret，以 amzn1.oa2-cs.v1 开头。"
    ),
    "amazon.field.refresh_token.how_to": (
        "授权应用时（Edit App → Authorize）会显示刷新令牌，以 Atzr| 开头。"
    ),
    "amazon.field.seller_id.how_to": (
        "Seller ID（卖家记号）在卖家中心的 Settings（设置）→ Account Info（账户信息）→ Business Information"
        "（公司信息）→ Your Merchant Token（您的卖家记号）中，以大写字母 A 开头。"
    ),
    "amazon.field.vendor_code.how_to": (
        "供应商代码在供应商中心的 Settings（设置）→ Contacts（联系人）中，由字母和数字组成，例如 ABC12。"
    ),
    "amazon.field.marketplace.how_to": (
        "请填写国家代码（如 US、UK、DE、JP）或站点 ID（如 ATVPDKIKX0DER）。"
    ),
    # what a pasted value looks like
    "amazon.kind.client_id": "LWA 客户端 ID（amzn1.application-oa2-client.…）",
    "amazon.kind.client_secret": "LWA 客户端密钥（amzn1.oa2-cs.v1.…）",
    "amazon.kind.legacy_secret": "看起来像 LWA 客户端密钥的内容",
    "amazon.kind.refresh_token": "刷新令牌（Atzr|…）",
    "amazon.kind.access_token": "访问令牌（Atza|…），它一小时内就会过期，不是这里需要的",
    "amazon.kind.app_id": "App ID（amzn1.sp.solution.…），它不是登录凭证",
    "amazon.kind.application_id": (
        "应用列表上显示的 Application ID（amzn1.sellerapps.app.…），它不是 LWA 客户端 ID"
    ),
    "amazon.kind.security_profile": "Login with Amazon 安全配置文件 ID（amzn1.application.…）",
    "amazon.kind.marketplace_id": "站点 ID",
    "amazon.kind.url": "网址",
    "amazon.kind.email": "邮箱地址",
    # format errors and notes; {label} is a field label, {how_to} that field's how-to sentence
    "amazon.error.empty": "“{label}”为空。{how_to}",
    "amazon.error.sandbox": (
        "“{label}”看起来来自 Sandbox（沙盒）应用或端点，而 Sandbox 应用只返回测试数据。"
        "请使用开发者中心里 Production（生产环境）应用的凭证。"
    ),
    "amazon.error.mixup": "“{label}”栏里填的是{what}。{how_to}",
    "amazon.error.mixup_belongs": "“{label}”栏里填的是{what}，它应该填在“{target}”栏。{how_to}",
    "amazon.error.inner_space": (
        "“{label}”中间有空格或换行。请直接从 Amazon 完整地重新复制。"
    ),
    "amazon.error.invisible_char": (
        "“{label}”中间有不可见字符（聊天软件和文档常会加上这种字符）。请直接从 Amazon 重新复制。"
    ),
    "amazon.error.marketplace_id_pasted": (
        "“{label}”栏里填的是{marketplace}的站点 ID；站点请在“站点”栏中选择。{how_to}"
    ),
    "amazon.error.client_id.prefix": "LWA 客户端 ID 应以 amzn1.application-oa2-client. 开头。{how_to}",
    "amazon.error.client_id.tail": (
        "LWA 客户端 ID 的开头是对的，但后面应是 32 个数字或字母 a-f；它看起来被截断或改动了。请重新复制。"
    ),
    "amazon.error.client_id.unreadable": "无法读取 LWA 客户端 ID。{how_to}",
    "amazon.note.client_secret.legacy": (
        "这是不带 amzn1.oa2-cs.v1. 前缀的旧版客户端密钥。它可以使用，下次轮换时你会拿到带前缀的新密钥。"
    ),
    "amazon.error.client_secret.prefix": "LWA 客户端密钥应以 amzn1.oa2-cs.v1. 开头。{how_to}",
    "amazon.error.client_secret.tail": (
        "LWA 客户端密钥的开头是对的，但后面应是 64 个数字或字母 a-f；它看起来被截断或改动了。请重新复制。"
    ),
    "amazon.error.client_secret.unreadable": "无法读取 LWA 客户端密钥。{how_to}",
    "amazon.error.refresh_token.case": (
        "刷新令牌必须与 Amazon 显示的完全一致，以 Atzr| 开头（大写 A，小写 tzr）。请重新复制。"
    ),
    "amazon.error.refresh_token.prefix": "刷新令牌应以 Atzr| 开头。{how_to}",
    "amazon.error.refresh_token.too_short": (
        "刷新令牌太短：真正的刷新令牌有几百个字符。请重新复制完整的令牌。"
    ),
    "amazon.error.refresh_token.characters": (
        "刷新令牌中有 Amazon 令牌不会用到的字符。请直接从授权页面重新复制。"
    ),
    "amazon.error.refresh_token.unreadable": "无法读取刷新令牌。{how_to}",
    "amazon.note.seller_id.uppercased": "Seller ID 已按 Amazon 的写法改为大写字母。",
    "amazon.error.seller_id.start": "Seller ID 应以大写字母 A 开头。{how_to}",
    "amazon.error.seller_id.characters": "Seller ID 只包含大写字母和数字。{how_to}",
    "amazon.error.seller_id.too_short": (
        "Seller ID 应为 8 到 20 个大写字母和数字；这个太短了。{how_to}"
    ),
    "amazon.error.seller_id.too_long": (
        "Seller ID 应为 8 到 20 个大写字母和数字；这个太长了。{how_to}"
    ),
    "amazon.error.seller_id.unreadable": "无法读取 Seller ID。{how_to}",
    "amazon.error.vendor_code.characters": "供应商代码只包含字母和数字，共 2 到 20 个。{how_to}",
    "amazon.note.vendor_code.uppercased": "供应商代码已改为大写字母。",
    "amazon.error.vendor_code.unreadable": "无法读取供应商代码。{how_to}",
    "amazon.error.account_type.choose": "请选择这是卖家账户还是供应商账户。",
    "amazon.error.selling_partner_id.account_type_first": (
        "请先选择卖家或供应商：要粘贴哪个 ID 取决于账户类型。"
    ),
    "amazon.error.marketplace.empty": "“站点”为空。{how_to}",
    "amazon.error.marketplace.unknown": "这个站点不在 Amazon 为 SP-API 列出的站点中。{how_to}",
    "amazon.error.marketplace.unreadable": "无法读取站点。{how_to}",
    "amazon.error.connection_name.empty": "“连接名称”为空。请起一个名字，例如“美国站-主店”。",
    "amazon.error.connection_name.too_long": "“连接名称”超过了 80 个字符。请缩短。",
    "amazon.error.connection_name.control": (
        "“连接名称”中有换行或控制字符。请只用一行文字。"
    ),
    "amazon.error.connection_name.credential": (
        "“连接名称”中填的是{what}。名称里千万不要放凭证；请用“美国站-主店”这样的名字。"
    ),
    "amazon.error.connection_name.unreadable": (
        "无法读取“连接名称”。请用“美国站-主店”这样的名字。"
    ),
    # --- end amazon ------------------------------------------------------------------------------
    # --- guard (leak guard, audit trail, authorization) -----------------------------------------
    "guard.leak.kind.client_secret": "LWA 客户端密钥",
    "guard.leak.kind.refresh_token": "刷新令牌",
    "guard.leak.kind.both": "LWA 客户端密钥和刷新令牌",
    "guard.leak.warning.headline": "你刚刚在这个频道里发了 {what}。",
    "guard.leak.warning.edited": "你编辑后的消息里包含 {what}。",
    "guard.leak.warning.delete": (
        "请立即删除那条消息（把鼠标移到消息上，点击“更多操作”→“删除消息”）：我无法删除别人的消息。"
    ),
    "guard.leak.warning.rotate": (
        "请把 {what} 当作已泄露：能查看这个频道的人都已经看到了。请轮换客户端密钥：在 Developer Central（开发者中心）"
        "依次进入 Apps & Services（应用和内容）→ Develop Apps（开发应用）→ LWA credentials → View → Rotate secret。"
        "如果泄露的是刷新令牌，还要重新授权应用，获取新的刷新令牌。"
    ),
    "guard.leak.warning.next_time": (
        "下次请使用 `/connect-amazon` ：它通过私密表单收集凭证，并加密保存。"
    ),
    "guard.leak.warning.matched": (
        "它属于 {names}；我已将其标记为已泄露，并通知了团队频道（不含密钥本身）。"
    ),
    # {label} is a guard.leak.label.* (no article): "The LWA client secret of connection …"
    "guard.leak.alert.headline": "连接 {name} 的 {label} 被发到了 Slack 上",
    "guard.leak.alert.body": (
        "{who} 在 {where} 发了这个连接的 {what}。请把它当作已泄露，立即轮换客户端密钥（点击下方按钮，按步骤操作）。"
        "那条消息应该删除。"
    ),
    "guard.leak.alert.refresh_token_hint": (
        "没有客户端密钥，刷新令牌就没有用，所以轮换密钥就能堵住漏洞；之后请重新授权应用，获取新的刷新令牌"
        "（点击“重新授权”按钮）。"
    ),
    "guard.leak.alert.reauthorize_button": "重新授权",
    "guard.leak.alert.somewhere": "某个频道",
    "guard.leak.alert.an_app": "某个应用",
    "guard.leak.alert.rotate_button": "立即轮换",
    "guard.leak.label.client_secret": "LWA 客户端密钥",
    "guard.leak.label.refresh_token": "刷新令牌",
    "guard.leak.label.both": "LWA 客户端密钥和刷新令牌",
    "guard.leak.last_error": "{what}被发到了一条 Slack 消息中（频道 {channel}）；请轮换。",
    "guard.audit.refused": (
        "只有工作区管理员和所有者，以及 ADMIN_USER_IDS 中列出的人员，才能查看审计记录。"
    ),
    "guard.audit.title_all": "审计记录（最新的在前）",
    "guard.audit.title_one": "{name} 的审计记录（最新的在前）",
    "guard.audit.empty_all": "审计记录为空：这个工作区还没有建立过任何连接。",
    "guard.audit.empty_one": (
        "名为 {name} 的连接没有任何审计记录。`/connect-amazon status` 会列出所有连接及其准确名称。"
    ),
    "guard.audit.more": "只显示最新的 {shown} 条记录。指定连接名称可查看该连接的全部记录。",
    "guard.audit.by_system": "机器人",
    "guard.audit.name_too_long": "连接名称最多 80 个字符；请用 `/connect-amazon status` 核对。",
    "guard.audit.lookup_failed": (
        "我无法确认你是否为工作区管理员（Slack 返回了 {error}）。没有显示任何内容；请一分钟后再试。"
    ),
    "guard.audit.action.connected": "已连接",
    "guard.audit.action.reconnected": "已重新连接（凭证已替换）",
    "guard.audit.action.rotated_secret": "已轮换客户端密钥",
    "guard.audit.action.reauthorized": "已重新授权（新的刷新令牌）",
    "guard.audit.action.disconnected": "已断开连接（密钥已清除）",
    "guard.audit.action.exposed": "被标记为已泄露（密钥出现在 Slack 消息中）",
    "guard.audit.action.health_failing": "健康检查失败",
    "guard.audit.action.health_recovered": "健康检查恢复正常",
    "guard.audit.action.key_rotated": "已用新的加密密钥重新加密",
    # 审计记录的详情（存为含义，按读者的语言显示）
    "guard.audit.detail.connected": "{account} {seller}，{region}（{marketplace}）",
    "guard.audit.detail.account.seller": "卖家账户",
    "guard.audit.detail.account.vendor": "供应商账户",
    "guard.audit.detail.rotated_secret": "第 {generation} 代密钥，{expires} 到期",
    "guard.audit.detail.reauthorized": "新的刷新令牌",
    "guard.audit.detail.disconnected": "密钥已清除",
    "guard.audit.detail.key_rotated": "已用密钥 `{key}` 重新加密 {count} 个连接",
    # --- lifecycle (expiry reminders, health checks, rotation, re-authorization, disconnect) ---------
    "lifecycle.rotate_steps": (
        "打开 Developer Central（开发者中心），进入 Apps & Services（应用和内容）→ Develop Apps（开发应用），"
        "打开该应用，点击 *LWA credentials* 下的 *View* ，再点击 *Rotate secret* ，然后复制新的客户端密钥。"
    ),
    "lifecycle.rotate_how": (
        "{steps} 然后运行 `/connect-amazon rotate {name}` ，或点击下方的 *立即轮换* ，把密钥粘贴进去。"
    ),
    "lifecycle.reauthorize_steps": (
        "打开 Developer Central（开发者中心），进入 Apps & Services（应用和内容）→ Develop Apps（开发应用），"
        "打开该应用的菜单，选择 *Authorize app* ，然后复制新的刷新令牌（以 Atzr| 开头）。"
    ),
    "lifecycle.button.rotate": "立即轮换",
    "lifecycle.button.reauthorize": "重新授权",
    "lifecycle.reminder.text": (
        "{owner} {name}（{marketplace}）的 LWA 客户端密钥将于 {expires_on} 到期，还剩 {days} 天。"
    ),
    "lifecycle.reminder.headline": (
        ":hourglass_flowing_sand: {owner} *{name}* （{marketplace}，{region}）的 LWA 客户端密钥将于 "
        "*{expires_on}* 到期，还剩 {days} 天。"
    ),
    "lifecycle.expired.text": "{owner} {name}（{marketplace}）的 LWA 客户端密钥已于 {expires_on} 过期。",
    "lifecycle.expired.headline": (
        ":red_circle: {owner} *{name}* （{marketplace}，{region}）的 LWA 客户端密钥已于 *{expires_on}* 过期。"
        "在轮换之前，用它调用 Amazon 都会失败。"
    ),
    "lifecycle.health.failing.text": "{owner} 连接 {name}（{marketplace}）已停止工作：{cause}",
    "lifecycle.health.failing.headline": (
        ":warning: {owner} 连接 *{name}* （{marketplace}，{region}）已停止工作。"
    ),
    "lifecycle.health.failing_dm.headline": (
        ":warning: 你的连接 *{name}* （{marketplace}，{region}）已停止工作；团队频道也已收到通知。"
    ),
    "lifecycle.health.cause": "*原因：* {cause}",
    "lifecycle.health.next_step": "*下一步：* {next_step}",
    "lifecycle.health.recovered.text": "连接 {name}（{marketplace}）已恢复正常。",
    "lifecycle.health.recovered.headline": (
        ":white_check_mark: 连接 *{name}* （{marketplace}，{region}）已恢复正常：Amazon 接受了它的凭证。"
    ),
    "lifecycle.health.transient_cause": "Amazon 连续 {count} 次没有给出可用的响应。最近一次：{last}",
    "lifecycle.health.transient_next_step": (
        "暂时无需修改：下次检查会自动重试。如果一直失败，请查看 Amazon 的 SP-API 状态页面，并检查机器人的网络访问。"
    ),
    "lifecycle.problem.leaked.client_secret.cause": "正在使用的 LWA 客户端密钥被发到了 {channel} 的一条 Slack 消息里。",
    "lifecycle.problem.leaked.client_secret.next_step": (
        "请在开发者中心轮换客户端密钥，然后用 `/connect-amazon rotate` 填入新的密钥。"
    ),
    "lifecycle.problem.leaked.refresh_token.cause": "正在使用的刷新令牌被发到了 {channel} 的一条 Slack 消息里。",
    "lifecycle.problem.leaked.refresh_token.next_step": (
        "请重新授权应用，然后用 `/connect-amazon reauthorize` 填入新的刷新令牌。"
    ),
    "lifecycle.usage.rotate": (
        "请指定要轮换的连接，例如 `/connect-amazon rotate Main EU` 。"
        "`/connect-amazon status` 会列出所有连接及其准确名称。"
    ),
    "lifecycle.usage.reauthorize": (
        "请指定要重新授权的连接，例如 `/connect-amazon reauthorize Main EU` 。"
        "`/connect-amazon status` 会列出所有连接及其准确名称。"
    ),
    "lifecycle.usage.disconnect": (
        "请指定要断开的连接，例如 `/connect-amazon disconnect Main EU` 。"
        "`/connect-amazon status` 会列出所有连接及其准确名称。"
    ),
    "lifecycle.not_found": (
        "这个工作区中没有名为 {name} 的连接。`/connect-amazon status` 会列出所有连接及其准确名称。"
    ),
    "lifecycle.not_found_any": "这个连接在工作区中已不存在。没有做任何更改。",
    "lifecycle.not_found_unnamed": (
        "请在命令后面写上连接名称，例如 `Main EU`。`/connect-amazon status` 会列出所有连接和它们的准确名称。"
    ),
    "lifecycle.unnamed_connection": "该连接",
    "lifecycle.already_disconnected": (
        "{name} 已断开连接，密钥已清除。请用 `/connect-amazon` 重新连接。"
    ),
    "lifecycle.refused": (
        "{name} 只能由连接它的人（{owner}）、工作区管理员或所有者，或 ADMIN_USER_IDS 中列出的人员"
        "轮换、重新授权或断开。没有做任何更改。"
    ),
    "lifecycle.refused_lookup_failed": (
        "{name} 只能由连接它的人（{owner}）、工作区管理员或所有者，或 ADMIN_USER_IDS 中列出的人员更改，"
        "而我无法确认你是否为工作区管理员（Slack 返回了 {error}）。没有做任何更改；请一分钟后再试。"
    ),
    "lifecycle.modal.title.rotate": "轮换客户端密钥",
    "lifecycle.modal.title.reauthorize": "重新授权",
    "lifecycle.modal.submit": "验证并保存",
    "lifecycle.modal.close": "关闭",
    "lifecycle.modal.cancel": "取消",
    "lifecycle.modal.intro.rotate": (
        "为 *{name}* （{marketplace}，{region}）填写新的 LWA 客户端密钥。替换旧密钥之前，"
        "会先用已保存的客户端 ID 和刷新令牌向 Amazon 验证；密钥加密保存，之后不会再显示。"
    ),
    "lifecycle.modal.intro.reauthorize": (
        "为 *{name}* （{marketplace}，{region}）填写新的刷新令牌。替换旧令牌之前，"
        "会先用已保存的客户端 ID 和客户端密钥向 Amazon 验证；令牌加密保存，之后不会再显示。"
    ),
    "lifecycle.modal.label.client_secret": "新的 LWA 客户端密钥",
    "lifecycle.modal.label.refresh_token": "新的刷新令牌",
    "lifecycle.modal.placeholder.client_secret": "amzn1.oa2-cs.v1.…",
    "lifecycle.modal.placeholder.refresh_token": "Atzr|…",
    "lifecycle.modal.label.created_on": "密钥创建日期",
    "lifecycle.modal.hint.created_on": (
        "你轮换密钥的那天（刚轮换的话就选今天）。密钥 180 天后到期，机器人会在到期前提醒你。"
    ),
    "lifecycle.modal.created_on_future": "创建日期不能晚于今天。",
    "lifecycle.modal.created_on_expired": (
        "那天创建的密钥在 180 天后就已过期。请重新轮换，并选择今天的日期。"
    ),
    "lifecycle.modal.created_on_invalid": "请从日历中选择创建日期。",
    "lifecycle.modal.verifying": (
        ":hourglass_flowing_sand: 正在向 Amazon 验证 *{name}* 的新{what}…… 通常只需几秒钟。"
        "你可以关闭这个窗口；只有 Amazon 接受后才会保存。"
    ),
    "lifecycle.what.rotate": "客户端密钥",
    "lifecycle.what.reauthorize": "刷新令牌",
    "lifecycle.result.rotated": (
        ":white_check_mark: *{name}* 已改用新的客户端密钥。它将于 *{expires_on}* 到期，机器人会在此之前提醒频道。"
    ),
    "lifecycle.result.reauthorized": ":white_check_mark: *{name}* 已改用新的刷新令牌。",
    "lifecycle.result.failed": (
        ":x: Amazon 没有接受新的{what}，所以没有做任何更改： *{name}* 仍使用原来的凭证。"
    ),
    "lifecycle.result.unfinished": (
        ":warning: 我们没能完成向 Amazon 验证新的{what}，所以没有做任何更改： *{name}* 仍使用原来的凭证。"
    ),
    "lifecycle.result.cause": "*原因：* {cause}",
    "lifecycle.result.next_step": "*怎么做：* {next_step}",
    "lifecycle.result.announce_failed": (
        "更改已保存，但在团队频道发布通知失败（{problem}）。如果机器人不在那个频道，"
        "请用 `/invite @` 加机器人的名字邀请它。"
    ),
    "lifecycle.result.unreadable": (
        "*{name}* 已保存的{other}无法解密（{problem}），所以无法验证新的{what}。"
        "没有做任何更改：请断开这个连接，然后重新连接。"
    ),
    "lifecycle.still_exposed.refresh_token": (
        "正在使用的刷新令牌之前被发到了 Slack 上，所以 {name} 仍被标记为已泄露：请运行 "
        "`/connect-amazon reauthorize {name}` ，换一个新的。"
    ),
    "lifecycle.exposure.still": (
        ":rotating_light: *{name}* 仍被标记为已泄露：正在使用的{what}被发到了 Slack 上。请替换它："
        "客户端密钥用 `/connect-amazon rotate` ，刷新令牌用 `/connect-amazon reauthorize` 。"
    ),
    "lifecycle.still_exposed.client_secret": (
        "正在使用的客户端密钥之前被发到了 Slack 上，所以 {name} 仍被标记为已泄露：请运行 "
        "`/connect-amazon rotate {name}` ，换一个新的。"
    ),
    "lifecycle.result.busy": "这个表单已经提交过了，结果会显示在这里。",
    "lifecycle.result.disconnected_meanwhile": "*{name}* 在此期间已被断开连接。没有做任何更改。",
    "lifecycle.announce.rotated": (
        ":arrows_counterclockwise: {actor} 轮换了 *{name}* （{marketplace}，{region}）的 LWA 客户端密钥。"
        "Amazon 已接受，新密钥将于 {expires_on} 到期。"
    ),
    "lifecycle.announce.rotated.text": "{actor} 轮换了 {name} 的 LWA 客户端密钥。",
    "lifecycle.announce.reauthorized": (
        ":arrows_counterclockwise: {actor} 用新的刷新令牌重新授权了 *{name}* （{marketplace}，{region}）。"
        "Amazon 已接受。"
    ),
    "lifecycle.announce.reauthorized.text": "{actor} 重新授权了 {name}。",
    "lifecycle.announce.disconnected": (
        ":wave: {actor} 断开了 *{name}* （{marketplace}，{region}）。它的客户端密钥和刷新令牌已从机器人中删除；"
        "审计记录会保留。"
    ),
    "lifecycle.announce.disconnected.text": "{actor} 断开了 {name}。",
    "lifecycle.disconnect.question": (
        "要断开 *{name}* （{marketplace}，{region}）吗？机器人会删除它的客户端密钥和刷新令牌，并不再监控它。"
        "审计记录会保留。以后要再用，请用 `/connect-amazon` 重新连接。"
    ),
    "lifecycle.disconnect.button": "断开连接",
    "lifecycle.disconnect.keep": "保留",
    "lifecycle.disconnect.confirm_title": "断开 {name}？",
    "lifecycle.disconnect.confirm_text": "它的密钥将被永久删除，无法撤销。",
    "lifecycle.disconnect.confirm_yes": "确定断开",
    "lifecycle.disconnect.done": ":white_check_mark: *{name}* 已断开连接，密钥已删除。",
    "lifecycle.disconnect.done_announce_failed": (
        ":white_check_mark: *{name}* 已断开连接，密钥已删除，但在团队频道发布通知失败（{problem}）。"
    ),
    "lifecycle.disconnect.failed": (
        ":warning: *{name}* 没有断开：数据库没能保存这项更改，它的客户端密钥和刷新令牌仍然保存着。"
        "请一分钟后再试（ `/connect-amazon disconnect {name}` ）；如果仍然失败，请让机器人的运维人员检查数据库。"
    ),
    "lifecycle.disconnect.kept": "没有做任何更改： *{name}* 保持连接。",
    # --- onboarding ------------------------------------------------------------------------------
    "onboarding.start.ack": "我会给你发一条私信，告诉你连接 Amazon 的步骤。",
    "onboarding.start.refused": (
        "这里只有工作区指定的人员可以连接 Amazon 账户。请让你的 Slack 管理员把你加进去（设置项 CONNECT_ALLOWED），"
        "或请他们替你连接账户。"
    ),
    "onboarding.start.dm_failed": (
        "我没能给你发私信（Slack 返回了 {error}）。请打开机器人的主页标签页继续，"
        "或请你的 Slack 管理员检查应用是否已安装。"
    ),
    "onboarding.refused": (
        "这里只有工作区指定的人员可以连接 Amazon 账户。没有保存任何内容。请让你的 Slack 管理员把你加进去"
        "（设置项 CONNECT_ALLOWED）。"
    ),
    "onboarding.path.seller": "卖家中心（卖家）",
    "onboarding.path.vendor": "供应商中心（供应商）",
    # the DM checklist
    "onboarding.checklist.title": "连接 Amazon 账户",
    "onboarding.checklist.intro": (
        "我会带你完成 Amazon 那边的操作。每完成一步就勾选一下：进度会保存，之后在这里（或我的主页标签页）还能找到。"
        "千万不要把密钥粘贴到这个聊天里：最后一步会打开一个私密表单来填写。"
    ),
    "onboarding.checklist.choose_path": "*首先：这是哪种 Amazon 账户？*",
    "onboarding.checklist.path_seller": "卖家中心",
    "onboarding.checklist.path_vendor": "供应商中心",
    "onboarding.checklist.fallback_choose": "连接 Amazon 账户：请选择卖家中心或供应商中心。",
    "onboarding.checklist.fallback": "连接 Amazon 账户（{path}）：已完成 {done}/{total} 步。",
    "onboarding.checklist.progress": "{path} · 已完成 {done}/{total} 步",
    "onboarding.checklist.done": "已完成",
    "onboarding.checklist.nudge_scheduled": (
        "Amazon 通常在 3–5 个工作日内答复。如果到 {date} 你还没有进行下一步，我会来问问进展。"
    ),
    "onboarding.checklist.ready": (
        "*四项凭证都拿到了吗？* 请在私密表单中填写，我会向 Amazon 验证。"
    ),
    "onboarding.checklist.open_credentials": "填写凭证",
    "onboarding.checklist.switch_to_seller": "切换到卖家中心",
    "onboarding.checklist.switch_to_vendor": "切换到供应商中心",
    # seller steps
    "onboarding.step.seller.prerequisites.title": "确认基本条件",
    "onboarding.step.seller.prerequisites.body": (
        "你需要一个专业卖家账号。请用主账号登录卖家中心，或请主账号在 Settings（设置）→ User Permissions（用户权限）中"
        "授予你 Develop Apps（开发应用）权限。确定要连接哪个区域：北美（NA）、欧洲（EU）或远东（FE）。"
    ),
    "onboarding.step.seller.prepare_info.title": "准备 Amazon 会要求的资料",
    "onboarding.step.seller.prepare_info.body": (
        "公司注册名称、公司官网、技术联系人的姓名和邮箱、要连接的店铺和站点，以及安全问卷的答复"
        "（数据加密、访问控制、日志留存、员工权限、事件响应）。"
    ),
    "onboarding.step.seller.roles.title": "选择数据角色",
    "onboarding.step.seller.roles.body": (
        "在开发者资料的数据访问部分，申请以下角色：Product Listing（商品目录）、Pricing（商品定价）、"
        "Inventory and Order Tracking（库存和订单）、Amazon Fulfillment（FBA 履约）、Buyer Communication（买家消息）、"
        "Tax Invoicing（税务发票）和 Tax Remittance（税款申报）。"
    ),
    "onboarding.step.seller.profile_submitted.title": "提交开发者资料（最先做这一步）",
    "onboarding.step.seller.profile_submitted.body": (
        "卖家中心 → Apps and Services（应用和内容）→ Develop Apps（开发应用），然后填写开发者资料，"
        "联系邮箱请用能正常收信的企业邮箱。Amazon 审核大约需要 3–5 个工作日，所以请尽早提交，"
        "等待期间可以先看后面的步骤。提交后勾选这一步。"
    ),
    "onboarding.step.seller.create_app.title": "创建应用（审核通过后）",
    "onboarding.step.seller.create_app.body": (
        "回到 Develop Apps（开发应用），点击 Add new app client（添加新的应用客户端）。API 类型选 "
        "Selling Partner API（SP API）。选择 Production（生产环境），不要选 Sandbox（沙盒）："
        "Sandbox 应用只会返回测试数据。"
    ),
    "onboarding.step.seller.find_credentials.title": "找到凭证",
    "onboarding.step.seller.find_credentials.body": (
        "Seller ID：Settings（设置）→ Account Info（账户信息）→ Business Information（公司信息）→ "
        "Your Merchant Token（您的卖家记号），以 A 开头。LWA 客户端 ID 和客户端密钥：在应用的 LWA credentials "
        "一栏点击 View（即 Client identifier 和 Client secret）。请像对待密码一样对待客户端密钥。"
    ),
    "onboarding.step.seller.refresh_token.title": "授权应用，并立即复制刷新令牌",
    "onboarding.step.seller.refresh_token.body": (
        "Edit App → Authorize，然后点击 Authorize app。Amazon 只显示一次刷新令牌（以 Atzr| 开头）："
        "请立即复制。丢了？重新授权即可，新令牌会取代旧令牌。"
    ),
    "onboarding.step.seller.per_region.title": "每个区域一套凭证",
    "onboarding.step.seller.per_region.body": (
        "一次授权只覆盖一个区域。其他区域（NA、EU、FE）的店铺需要单独授权，并在这里单独建立连接。"
    ),
    # vendor steps
    "onboarding.step.vendor.prerequisites.title": "确认基本条件",
    "onboarding.step.vendor.prerequisites.body": (
        "你需要是供应商中心账户的 Account Owner（账户所有者）或 Admin（管理员），或者拥有 Apps & Services 和 "
        "API（开发者）权限；否则这些选项是灰色的。确定要连接哪个区域：北美（NA）、欧洲（EU）或远东（FE）。"
    ),
    "onboarding.step.vendor.prepare_info.title": "准备 Amazon 会要求的资料",
    "onboarding.step.vendor.prepare_info.body": (
        "公司注册名称、公司官网、技术联系人的姓名和邮箱、要连接的站点，以及安全问卷的答复。"
    ),
    "onboarding.step.vendor.roles.title": "选择数据角色",
    "onboarding.step.vendor.roles.body": (
        "申请团队需要的角色（例如 Amazon Fulfillment（FBA 履约）、Product Listing（商品目录）、Pricing（商品定价）、"
        "Inventory and Order Tracking（库存和订单）），并确认你不会把个人数据的访问权限委托给其他开发者的应用。"
    ),
    "onboarding.step.vendor.profile_submitted.title": "提交开发者资料（最先做这一步）",
    "onboarding.step.vendor.profile_submitted.body": (
        "供应商中心 → Integration（集成）→ API Integration（API 集成）。如果 Amazon 要求填写开发者资料，请填写并提交；"
        "审核大约需要 3–5 个工作日。提交后勾选这一步。"
    ),
    "onboarding.step.vendor.create_app.title": "创建应用",
    "onboarding.step.vendor.create_app.body": (
        "Integration（集成）→ API Integration（API 集成）→ Add new app client（添加新的应用客户端）。"
        "填写名称，API 类型选 SP API，选择角色，然后点击 Save and exit。"
        "请用 Production（生产环境），不要用 Sandbox（沙盒）。"
    ),
    "onboarding.step.vendor.find_credentials.title": "找到凭证",
    "onboarding.step.vendor.find_credentials.body": (
        "供应商代码：Settings（设置）→ Contacts（联系人）；也可以用卖家记号："
        "Settings → Account Info → Business Information → Your Merchant Token。"
        "LWA 客户端 ID 和客户端密钥：Integration（集成）→ API Integration（API 集成），"
        "然后在 LWA credentials 一栏点击 View。"
    ),
    "onboarding.step.vendor.refresh_token.title": "授权应用，并立即复制刷新令牌",
    "onboarding.step.vendor.refresh_token.body": (
        "点击 Edit App 旁边的箭头 → Authorise，选择区域，然后点击 Authorise app。刷新令牌（以 Atzr| 开头）"
        "只显示一次：请立即复制。"
    ),
    "onboarding.step.vendor.per_region.title": "每个区域一套凭证",
    "onboarding.step.vendor.per_region.body": (
        "一次授权只覆盖一个区域。其他区域需要单独授权，并在这里单独建立连接。"
    ),
    # the nudge
    "onboarding.nudge.text": (
        "Amazon 批准你的开发者资料了吗？请在这里继续：创建应用，复制凭证，然后在私密表单中填写。"
    ),
    "onboarding.nudge.button": "继续",
    # the modal
    "onboarding.modal.title": "连接 Amazon",
    "onboarding.modal.title_done": "Amazon 已连接",
    "onboarding.modal.title_failed": "尚未连接",
    "onboarding.modal.title_confirm": "更新连接？",
    "onboarding.modal.submit": "验证并保存",
    "onboarding.modal.cancel": "取消",
    "onboarding.modal.close": "关闭",
    "onboarding.modal.intro": (
        "这个表单只有你能看到。我会向 Amazon 验证凭证，加密保存，之后不会再显示密钥或令牌。首尾空格会自动去掉。"
    ),
    "onboarding.modal.account_type.label": "账户类型",
    "onboarding.modal.seller_id.label": "Seller ID",
    "onboarding.modal.vendor_code.label": "供应商代码",
    "onboarding.modal.selling_partner_id.label": "Seller ID",
    "onboarding.modal.selling_partner_id.placeholder": "A1B2C3D4E5F6G7",
    "onboarding.modal.selling_partner_id.hint": (
        "卖家：填写 Seller ID（卖家记号，以 A 开头）。供应商：填写供应商代码（在 Settings → Contacts 中）。"
    ),
    "onboarding.modal.client_id.label": "LWA 客户端 ID",
    "onboarding.modal.client_id.placeholder": "amzn1.application-oa2-client.…",
    "onboarding.modal.client_id.hint": "开发者中心 LWA credentials（View）下的 Client identifier。",
    "onboarding.modal.client_secret.label": "LWA 客户端密钥",
    "onboarding.modal.client_secret.placeholder": "amzn1.oa2-cs.v1.…",
    "onboarding.modal.client_secret.hint": "LWA credentials 下的 Client secret。保存后这里不会再显示。",
    "onboarding.modal.refresh_token.label": "刷新令牌",
    "onboarding.modal.refresh_token.placeholder": "Atzr|…",
    "onboarding.modal.refresh_token.hint": "授权应用时由 Amazon 显示。保存后这里不会再显示。",
    "onboarding.modal.marketplace.label": "站点",
    "onboarding.modal.marketplace.placeholder": "选择站点",
    "onboarding.modal.marketplace.hint": "区域由站点决定：每个区域一个连接。",
    "onboarding.modal.connection_name.label": "连接名称",
    "onboarding.modal.connection_name.placeholder": "美国站-主店",
    "onboarding.modal.connection_name.hint": "团队称呼这个店铺的名字，例如“美国站-主店”。",
    "onboarding.modal.secret_created_on.label": "客户端密钥创建日期",
    "onboarding.modal.secret_created_on.placeholder": "选择日期",
    "onboarding.modal.secret_created_on.hint": (
        "客户端密钥创建或最近一次轮换的日期。Amazon 会在 180 天后让它过期，我会提前提醒你。"
    ),
    "onboarding.form.date_invalid": "无法读取这个日期。请选择客户端密钥的创建日期。",
    "onboarding.form.date_future": "这个日期在未来。请选择客户端密钥的创建日期。",
    "onboarding.form.date_expired": (
        "在那天创建的客户端密钥已超过 {days} 天，已经过期。请在开发者中心轮换它（LWA credentials → View → "
        "Rotate secret），然后粘贴新密钥，日期选今天。"
    ),
    "onboarding.form.name_taken": "这个工作区中已有另一个连接叫 {name}。",
    "onboarding.form.name_taken_step": "请换一个连接名称，然后再试。",
    "onboarding.form.name_taken_field": (
        "这个工作区中已有另一个连接叫“{name}”（看起来相似的名称也算重名）。请换一个名称。"
    ),
    # results
    "onboarding.verifying.text": (
        ":hourglass_flowing_sand: 正在向 Amazon 验证你的凭证…… 通常只需几秒钟。"
        "你可以保持这个窗口打开，结果会显示在这里。"
    ),
    "onboarding.result.connected": ":white_check_mark: *{name}* 已连接，并已通过 Amazon 验证。",
    "onboarding.result.reconnected": ":white_check_mark: *{name}* 已更新为新的凭证，并已通过验证。",
    "onboarding.result.announced": "我已通知团队频道。客户端密钥到期前我会提醒你。",
    "onboarding.result.still_exposed": (
        "你填写的{what}就是之前被发到 Slack 上的那个，所以 {name} 仍被标记为已泄露。请在 Amazon 生成一个新的，"
        "然后用 /connect-amazon rotate 或 /connect-amazon reauthorize 填写。"
    ),
    "onboarding.result.failed": ":x: *Amazon 没有接受这些凭证。* {cause}",
    "onboarding.result.not_saved": ":x: *没有保存任何内容。* {cause}",
    "onboarding.result.unfinished": (
        ":warning: *我们没能完成这些凭证的验证，所以没有保存任何内容。* {cause}"
    ),
    "onboarding.result.next_step": "*下一步：* {step}",
    "onboarding.result.try_again": "重试",
    "onboarding.result.stuck_cause": (
        "同一组凭证之前已经在验证中，但那次验证没有完成。"
    ),
    "onboarding.result.unexpected_step": "请一分钟后再试；如果一直失败，请告诉机器人的运维人员。",
    "onboarding.result.interrupted_step": (
        "请点击“重试”，重新粘贴客户端密钥和刷新令牌；其他栏会保留。"
    ),
    "onboarding.confirm.text": (
        "这个账户（{path}）已在{region}区域连接，名称为 *{name}* 。要用你刚填写的凭证更新这个连接吗？"
    ),
    "onboarding.confirm.ttl": "在你确认之前不会有任何更改。此确认 15 分钟后失效。",
    "onboarding.confirm.button": "更新连接",
    "onboarding.confirm.cancel": "保留原来的",
    "onboarding.confirm.expired": (
        "这个确认已失效，所以没有做任何更改。请重新打开表单，再提交一次凭证。"
    ),
    "onboarding.confirm.cancelled": "没有做任何更改。现有连接保持不变。",
    "onboarding.confirm.not_yours": "只有填写这些凭证的人才能确认。",
    "onboarding.confirm.not_allowed": (
        "这个账户已经以 {name} 的名称连接，它属于 {owner}。只有连接人本人、工作区管理员或所有者，或 ADMIN_USER_IDS "
        "中列出的人员才能替换它的凭证，所以没有做任何更改。请让 {owner} 或管理员来更新。"
    ),
    "onboarding.confirm.not_allowed_lookup_failed": (
        "这个账户已经以 {name} 的名称连接，它属于 {owner}。只有连接人本人、工作区管理员或所有者，或 ADMIN_USER_IDS "
        "中列出的人员才能替换它的凭证，而我无法确认你是否为工作区管理员（Slack 返回了 {error}）。"
        "没有做任何更改；请一分钟后再试。"
    ),
    # announcement ({user} is a mention and {channel} a channel link, both built by bot.views.blocks)
    "onboarding.announce.connected": ":link: {user} 新建了 Amazon 连接 *{name}* 。",
    "onboarding.announce.still_exposed": (
        ":rotating_light: *{name}* 仍被标记为已泄露：正在使用的{what}之前被发到了 Slack 上。"
        "请用 `/connect-amazon rotate` 或 `/connect-amazon reauthorize` 替换它。"
    ),
    "onboarding.announce.reconnected": (
        ":link: {user} 用新的凭证更新了 Amazon 连接 *{name}* 。"
    ),
    "onboarding.announce.not_in_channel": (
        "连接已保存，但我没能通知团队：我不是 {channel} 的成员。请用 /invite 邀请我加入，之后的通知就能送达。"
    ),
    "onboarding.announce.channel_not_found": (
        "连接已保存，但我没能通知团队：频道 {channel}（NOTIFY_CHANNEL）不存在，或我看不到它。"
        "请让机器人的运维人员修正 NOTIFY_CHANNEL。"
    ),
    "onboarding.announce.is_archived": (
        "连接已保存，但我没能通知团队：频道 {channel} 已归档。请让机器人的运维人员换一个 NOTIFY_CHANNEL。"
    ),
    "onboarding.announce.failed": (
        "连接已保存，但我没能在 {channel} 通知团队（{reason}）。请你告诉他们一声。"
    ),
    "onboarding.field.account_type": "账户类型",
    "onboarding.field.marketplace": "站点",
    "onboarding.field.region": "区域",
    "onboarding.field.region_value": "{name}（{code}）",
    "onboarding.field.expires": "客户端密钥到期日",
    "onboarding.field.store": "店铺",
    "onboarding.field.verified": "验证时间",
    "onboarding.field.connected_by": "连接人",
    # status
    "onboarding.status.header": "*这个工作区的 Amazon 连接：{count} 个*",
    "onboarding.status.fallback": "这个工作区的 Amazon 连接：{count} 个",
    "onboarding.status.none": "还没有连接任何 Amazon 账户。输入 /connect-amazon 来连接。",
    "onboarding.status.line": (
        "{emoji} *{name}* · {status}\n{path} · {marketplace} · {region} · 客户端密钥到期：{expires}"
    ),
    "onboarding.status.days_left": "（还剩 {days} 天）",
    "onboarding.status.expired": "（已过期）",
    "onboarding.status.store": "店铺：{store}",
    "onboarding.status.last_problem": "最近的问题：{cause} {next_step}",
    "onboarding.status.more": "……还有 {count} 个。",
    "onboarding.status.connected": "已连接",
    "onboarding.status.failing": "异常",
    "onboarding.status.exposed": "已泄露（密钥外泄）",
    "onboarding.status.exposed_beside": ":rotating_light: 已泄露（正在使用的{what}被发到了 Slack 上）",
    "onboarding.status.disconnected": "已断开",
    # App Home
    "onboarding.home.title": "Amazon 连接",
    "onboarding.home.intro": (
        "为团队连接 Amazon 卖家或供应商账户。输入 /connect-amazon 开始；你的步骤清单进度会显示在这里。"
    ),
    "onboarding.home.progress_title": "你的步骤清单",
    "onboarding.home.not_started": "你还没有开始步骤清单。输入 /connect-amazon 开始。",
    "onboarding.home.connections_title": "团队的连接",
    # help
    "onboarding.help.fallback": "如何使用 /connect-amazon",
    "onboarding.help.intro": "*/connect-amazon* 为团队连接 Amazon SP-API 账户：",
    "onboarding.help.command.start": (
        "• `/connect-amazon` （或 `start` ）：在私信中发送一份私密的步骤清单，然后打开私密表单填写凭证。"
    ),
    "onboarding.help.command.status": "• `/connect-amazon status` ：查看每个连接的状态和客户端密钥到期日。",
    "onboarding.help.command.help": "• `/connect-amazon help` ：显示本帮助。",
    "onboarding.help.extra.rotate": (
        "• `/connect-amazon rotate NAME` ：为某个连接粘贴刚轮换的新客户端密钥。"
    ),
    "onboarding.help.extra.reauthorize": (
        "• `/connect-amazon reauthorize NAME` ：重新授权后粘贴新的刷新令牌。"
    ),
    "onboarding.help.extra.disconnect": (
        "• `/connect-amazon disconnect NAME` ：清除某个连接的密钥（会先确认）。"
    ),
    "onboarding.help.extra.audit": "• `/connect-amazon audit [NAME]` ：查看审计记录（仅限管理员）。",
    "onboarding.help.extra.language": (
        "• `/connect-amazon language zh-CN|en|auto` ：机器人和你交流用的语言（`auto` ：跟随你的 Slack 语言）。"
    ),
    "onboarding.help.outro": "千万不要把密钥或令牌粘贴到频道或私信中：只能填在私密表单里。",
    # --- end onboarding --------------------------------------------------------------------------
    # --- jobs and workers: the doctor's queue line ------------------------------------------------
    "general.doctor.queue_ok": (
        "任务队列：{depth} 个任务在等待（最久的已等 {oldest} 秒），{running} 个正在运行，{workers} 个工作进程在线。"
    ),
    "general.doctor.queue_stuck": (
        "任务队列：{depth} 个任务最长已等待 {oldest} 秒，且没有在线的工作进程，所以没有人会得到回复："
        "用 `python -m bot run` 启动机器人（WORKERS 至少为 1），或启动 `python -m bot worker`。"
    ),
    "general.doctor.queue_unchecked": (
        "任务队列：未检查，因为数据库检查失败或其迁移不是最新的（见上面几行）。"
    ),
    # --- end jobs and workers ----------------------------------------------------------------------
    # --- tool keys and the tools' API (issue 15) ----------------------------------------------
    "onboarding.help.extra.keys": (
        "• `/connect-amazon keys create TOOL CONNECTION...|* [--export]`、`keys list`、`keys revoke TOOL` ："
        "为团队工具创建 API 密钥，工具随后从机器人获取短期访问令牌（仅限管理员）。"
    ),
    "guard.keys.usage": (
        "请输入 `/connect-amazon keys create TOOL CONNECTION...` （用 `*` 表示所有连接；只有需要完整凭证的工具"
        "才加 `--export` ）、 `/connect-amazon keys list` 或 `/connect-amazon keys revoke TOOL` 。"
    ),
    "guard.keys.usage.quotes": "有引号没有闭合：含空格的连接名称请放在 \"双引号\" 中，然后重试。",
    "guard.keys.bad_tool_name": (
        "{tool} 不能作为工具名称：请使用 1 到 40 个字母、"
        "数字、 `.` 、 `_` 或 `-` ，并以字母或数字开头。"
    ),
    "guard.keys.all_alone": "`*` 已表示所有连接：请单独输入它，不要再加连接名称。",
    "guard.keys.too_many": "一个密钥最多可指定 {limit} 个连接；如需所有连接，请改用 `*` 。",
    "guard.keys.refused": (
        "只有工作区管理员和所有者，以及 ADMIN_USER_I"
        "DS 中的人员可以管理工具密钥。未做任何更改：请联系他们。"
    ),
    "guard.keys.lookup_failed": "Slack 无法确认你是否为工作区管理员（{error}），因此未做任何更改：请一分钟后重试。",
    "guard.keys.unknown_connection": (
        "此工作区中没有连接 {name} ，因此未创建密钥： `/c"
        "onnect-amazon status` 会列出所有连接。"
    ),
    "guard.keys.disconnected_connection": "连接 {name} 已断开连接，因此未创建密钥：请先重新连接，或不要包含它。",
    "guard.keys.name_taken": (
        "{tool} 的密钥已存在，因此未创建新密钥。如需替换，请先 `/connect-amazon keys revoke {tool}` ，然后重新创建。"
    ),
    "guard.keys.scope.all": "工作区的所有连接（包括以后新增的）",
    "guard.keys.kind.token": "仅访问令牌",
    "guard.keys.kind.export": "访问令牌和完整凭证（导出）",
    "guard.keys.created.title": "{tool} 的新密钥",
    "guard.keys.created.fallback": "{tool} 的新密钥：只显示一次，且只有你能看到。",
    "guard.keys.created.scope": "*连接：* {scope}\n*允许：* {kind}",
    "guard.keys.created.usage": (
        "请把它存入工具的密钥存储（环境变量或密码管理器），并让工具在机器人的地址上调用 {path} ，"
        "请求头为 `Authorization: Bearer` 加上该密钥。响应中包含访问令牌（最长有效一小时）以及使用它的 SP-API "
        "端点；README 中有示例。"
    ),
    "guard.keys.created.once": (
        "密钥只在此显示这一次，且只有你能看到：机器人只"
        "保存它的带密钥哈希。丢失了？请撤销后重新创建。"
    ),
    "guard.keys.list.title": "工具密钥",
    "guard.keys.list.empty": "还没有工具密钥： `/connect-amazon keys create TOOL CONNECTION...` 可以创建一个。",
    "guard.keys.list.never_used": "从未使用",
    "guard.keys.list.row": "{tool}（{prefix}）\n{scope} · {kind}\n由 {creator} 于 {created} 创建 · 最近使用：{used}",
    "guard.keys.list.more": "显示 {total} 个密钥中的 {shown} 个。",
    "guard.keys.revoke.unknown": "没有 {tool} 的密钥： `/connect-amazon keys list` 会列出所有密钥。",
    "guard.keys.revoke.done": (
        "{tool} 的密钥已撤销：机器人的每个副本都会在 {seconds} 秒内拒绝它。"
        "它已获取的访问令牌在到期前仍然有效（最长一小时）。"
    ),
    "guard.keys.audit.created": "{tool} 的密钥：{scope}；{kind}",
    "guard.keys.audit.revoked": "{tool} 的密钥已撤销",
    "guard.keys.audit.exported": "工具 {tool} 获取了凭证",
    "guard.audit.action.tool_key_created": "创建了工具密钥",
    "guard.audit.action.tool_key_revoked": "撤销了工具密钥",
    "guard.audit.action.credentials_exported": "凭证已导出给工具",
    "guard.keys.status.tools": "使用它的工具：{tools}",
    "guard.keys.reminder.exporters": (
        "以下工具获取过当前密钥，轮换后必须更新为新密钥：{tools}。从机器人获取访问令牌的工具无需任何操作。"
    ),
    # the HTTP API's error messages (English only: they are read by a tool's developer, in logs)
    "guard.api.no_key": (
        "请发送工具密钥： `Authorization: Bearer amzc_…` 。工作区管"
        "理员可在 Slack 中用 /connect-amazon keys create 创建。"
    ),
    "guard.api.unknown_key": (
        "此密钥未知或已被撤销：请向工作区管理员索取新密钥（在 Slack"
        " 中用 /connect-amazon keys create）。"
    ),
    "guard.api.scope": (
        "此密钥不能使用连接 {name} ：GET /v1/connections 会列出它可以使用的连接；工作区管理员可以创建包含该连接的密钥。"
    ),
    "guard.api.not_export": (
        "此密钥不能获取完整凭证：请改为获取访问令牌（POST /v1/connections/{name}/access-token），"
        "或请管理员创建带 --export 的密钥。"
    ),
    "guard.api.not_found": "此密钥所属的工作区中没有连接 {name} ：GET /v1/connections 会列出它可以使用的连接。",
    "guard.api.no_route": "没有这个端点：GET /v1/openapi.json 描述了此 API。",
    "guard.api.method": "此端点不接受这种请求方法：GET /v1/openapi.json 描述了此 API。",
    "guard.api.bad_request": "请求格式不正确：GET /v1/openapi.json 描述了此 API。",
    "guard.api.disconnected": "连接 {name} 已断开连接，其密钥已删除：需要有人在 Slack 中用 /connect-amazon 重新连接。",
    "guard.api.failing": "连接 {name} 未通过健康检查：{cause} {next} 在此之前它不提供令牌。",
    "guard.api.refused": "Amazon 不接受 {name} 已保存的凭证：{cause} {next}",
    "guard.api.unreadable": (
        "机器人无法读取 {name} 已保存的密钥（缺少加密密钥）：机器人"
        "的运维人员应运行 `python -m bot doctor` 。"
    ),
    "guard.api.rate_limited": (
        "此密钥的请求过多：请在 {seconds} 秒后重试（每分钟"
        "最多 {limit} 个请求，API_RATE_LIMIT）。"
    ),
    "guard.api.amazon_unavailable": "Login with Amazon 暂时没有给出令牌：{cause} 连接本身没有问题；请一分钟后重试。",
    "guard.api.internal": "机器人未能应答；请一分钟后重试，如果持续出现请告知其运维人员。",
    "guard.keys.cli.not_found": "没有连接 {name} ： `python -m bot token` 需要连接名称。",
    "guard.keys.cli.ambiguous": "多个工作区都有连接 {name} ：请加上 `--team` 和工作区 ID（T…）。",
    # --- end tool keys ----------------------------------------------------------------------------
    # --- 自动轮换（issue 16：Amazon 的 Application Management API 及其 SQS 通知）---
    "lifecycle.autorotate.rotated": (
        ":repeat: Amazon 已自动轮换 {name}（{marketplace}，{region}）的 LWA 客户端密钥。机器人已验证新密钥并加密保存，"
        "新密钥 {expires_on} 到期。旧密钥在 {old_until} 之前仍可使用。从机器人获取访问令牌的工具无需任何改动。"
    ),
    "lifecycle.autorotate.rotated.text": "{name} 的 LWA 客户端密钥已自动轮换；旧密钥在 {old_until} 之前仍可使用。",
    "lifecycle.autorotate.unverified": (
        ":warning: Amazon 为 {name}（{marketplace}，{region}）发来了新的 LWA 客户端密钥，但验证未通过：{cause}"
        "没有保存任何内容：该连接继续使用当前密钥，它在 {old_until} 之前仍可使用。"
    ),
    "lifecycle.autorotate.unverified.text": "Amazon 为 {name} 发来的新客户端密钥验证未通过；没有任何改动。",
    "lifecycle.autorotate.unverified.next": (
        "下一步：在开发者中心 → LWA credentials → View 中复制应用当前的客户端密钥，用 `/connect-amazon rotate {name}` "
        "交给机器人，然后用 `/connect-amazon status` 检查。"
    ),
    "lifecycle.autorotate.request_failed": (
        ":warning: 机器人已请求 Amazon 轮换 {name}（{marketplace}，{region}）的 LWA 客户端密钥，但未能完成：{cause}"
    ),
    "lifecycle.autorotate.request_failed.text": "{name} 的客户端密钥自动轮换未能完成。",
    "lifecycle.autorotate.request.not_enrolled": (
        "Amazon 回复该应用未登记轮换通知。请在开发者中心 → Notification preferences 中，把 “Application Client Secret "
        "Expiry” 和 “Application Client New Secret” 都发送到机器人的 SQS 队列（见清单中的自动轮换部分），"
        "或用 `/connect-amazon rotate {name}` 手动轮换。（Amazon 请求 {request}）"
    ),
    "lifecycle.autorotate.request.secret_refused": (
        "Login with Amazon 不接受已保存的客户端密钥。请在开发者中心 → LWA credentials 中手动轮换，"
        "并用 `/connect-amazon rotate {name}` 把新密钥交给机器人。（Amazon 请求 {request}）"
    ),
    "lifecycle.autorotate.request.not_allowed": (
        "Amazon 拒绝了该应用的轮换请求。请在开发者中心 → LWA credentials 中手动轮换，"
        "并用 `/connect-amazon rotate {name}` 把新密钥交给机器人。（Amazon 请求 {request}）"
    ),
    "lifecycle.autorotate.request.unavailable": (
        "多次尝试后 Amazon 仍未响应轮换请求。请稍后在提醒中点击“通过 Amazon 立即轮换”，"
        "或用 `/connect-amazon rotate {name}` 手动轮换。（Amazon 请求 {request}）"
    ),
    "lifecycle.autorotate.request.unexpected": (
        "机器人无法读取 Amazon 对轮换请求的回复。请用 `/connect-amazon status` 检查；如果密钥即将到期，"
        "请用 `/connect-amazon rotate {name}` 手动轮换。（Amazon 请求 {request}）"
    ),
    "lifecycle.autorotate.command.on": (
        "已为 {name} 开启自动轮换：当 Amazon 通知其客户端密钥将在 {days} 天内到期时，机器人会请求 Amazon 轮换，"
        "验证并保存新密钥，并在团队频道中告知。"
    ),
    "lifecycle.autorotate.command.on_no_queue": (
        "已为 {name} 开启自动轮换，但本机器人尚未配置轮换队列（`ROTATION_QUEUE_URL`）：在配置好之前不会有任何动作"
        "（见清单中的自动轮换部分）。"
    ),
    "lifecycle.autorotate.command.off": (
        "已为 {name} 关闭自动轮换：请用 `/connect-amazon rotate NAME` 手动轮换其客户端密钥。"
        "Amazon 的到期通知仍会让到期日期保持准确。"
    ),
    "lifecycle.autorotate.command.usage": (
        "请输入 `/connect-amazon autorotate NAME on` 或 `/connect-amazon autorotate NAME off`。没有任何改动。"
    ),
    "lifecycle.autorotate.command.failed": "暂时无法更改自动轮换设置，没有任何改动：请重试。",
    "onboarding.help.extra.autorotate": (
        "• `/connect-amazon autorotate NAME on|off`：让机器人通过 Amazon 轮换客户端密钥（所有者或管理员）。"
    ),
    "lifecycle.autorotate.status.on": ":repeat: 已开启自动轮换",
    "lifecycle.autorotate.button.now": "通过 Amazon 立即轮换",
    "lifecycle.autorotate.now.queued": (
        "正在请求 Amazon 轮换 {name} 的客户端密钥。新密钥几分钟内送达；机器人会验证它并告知团队频道。"
    ),
    "lifecycle.autorotate.now.already": "刚刚已请求轮换 {name}；Amazon 每分钟只允许一次请求。",
    "lifecycle.autorotate.now.no_queue": (
        "本机器人未配置通过 Amazon 轮换（`ROTATION_QUEUE_URL` 未设置）：请使用“立即轮换”。"
    ),
    "guard.audit.action.autorotate_on": "开启了自动轮换",
    "guard.audit.action.autorotate_off": "关闭了自动轮换",
    "guard.audit.action.secret_expiry_from_amazon": "采用了 Amazon 给出的客户端密钥到期时间",
    "guard.audit.action.rotation_requested": "请求 Amazon 轮换客户端密钥",
    "lifecycle.autorotate.audit.detail.expiry": "到期时间 {before} → {expires}",
    "lifecycle.autorotate.audit.detail.requested": "Amazon 请求 {request}",
    "onboarding.checklist.rotation.intro": (
        "*可选：自动轮换。* 机器人可以在 LWA 客户端密钥到期前，通过 Amazon 的 Application Management API 自行轮换，"
        "并告知团队频道。机器人管理员为每个应用做一次以下步骤；"
        "之后用 `/connect-amazon autorotate NAME on` 为每个连接开启。"
    ),
    "onboarding.step.rotation.rotation_queue.title": "创建一个 SQS 队列",
    "onboarding.step.rotation.rotation_queue.body": (
        "在 AWS 控制台 → Amazon SQS → *Create queue*：在你的 AWS 账户中创建一个 Standard 队列"
        "（例如 `amazon-connect-rotation`），可见性超时（visibility timeout）设为 5 分钟"
        "（向 Amazon 验证新密钥可能需要一些时间）。"
        "记下它的 URL 和 ARN（`arn:aws:sqs:REGION:ACCOUNT:NAME`）。"
    ),
    "onboarding.step.rotation.rotation_policy.title": "允许 Amazon 的 SP-API 向它发送消息",
    "onboarding.step.rotation.rotation_policy.body": (
        "在队列 → *Access policy* → Edit 中添加一条语句：按 Amazon 通知指南的说明，允许主体 `437568002678`"
        "（Amazon 的 SP-API 通知账户）对该队列的 ARN 执行 `sqs:SendMessage` 和 `sqs:GetQueueAttributes`。"
        "如果队列用你自己的 KMS 密钥加密，也要允许该主体使用这个密钥。"
    ),
    "onboarding.step.rotation.rotation_preferences.title": "把两种轮换通知发送到该队列",
    "onboarding.step.rotation.rotation_preferences.body": (
        "在开发者中心 → Developer Console → *Notification preferences* 中，为该应用的 “Application Client Secret "
        "Expiry” 行和 “Application Client New Secret” 行分别 *Add new destination (SQS ARN)*，填入队列的 ARN，"
        "然后点击 *Subscribe*。"
    ),
    "onboarding.step.rotation.rotation_settings.title": "把队列告诉机器人",
    "onboarding.step.rotation.rotation_settings.body": (
        "把 `ROTATION_QUEUE_URL` 设为队列的 URL，并以常规 AWS 方式（实例角色、`AWS_PROFILE`，或 "
        "`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` 加 `AWS_REGION`）给机器人的 worker 可以接收和删除其消息的 AWS 凭证"
        "（`sqs:ReceiveMessage`、`sqs:DeleteMessage`、`sqs:GetQueueAttributes`）。`ROTATE_BEFORE_DAYS`（7）"
        "是到期前多少天轮换。`python -m bot doctor` 会检查该队列。"
    ),
    "general.doctor.rotation_queue_ok": "轮换队列 {url}：有响应（{waiting} 条消息等待中）。",
    "general.doctor.rotation_queue_down": "轮换队列 {url}：没有响应（{reason}）。{hint}",
    "general.doctor.rotation_queue_hint": (
        "请检查 ROTATION_QUEUE_URL（AWS 控制台中队列的 URL）、AWS_REGION，以及机器人的 AWS 凭证是否可以对该队列调用 "
        "sqs:GetQueueAttributes、sqs:ReceiveMessage 和 sqs:DeleteMessage。"
    ),
    "general.doctor.rotation_queue_credentials": (
        "请以常规 AWS 方式给机器人 AWS 凭证：实例或任务角色、AWS_PROFILE，或 AWS_ACCESS_KEY_ID 和 "
        "AWS_SECRET_ACCESS_KEY（或取消设置 ROTATION_QUEUE_URL 以关闭自动轮换）。"
    ),
    # --- 自动轮换结束 ------------------------------------------------------------------------------
}
