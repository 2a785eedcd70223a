"""The Telegram channel: python-telegram-bot in, the conversation engine, one paced sending path out.

| module | owns |
|---|---|
| `render` | a neutral engine reply as a Telegram message (text, inline keyboard, direction) |
| `outbox` | writing rendered messages to the durable outbox, inside the engine's transaction |
| `pacing` | the token buckets that keep sending within Telegram's limits |
| `sender` | the one sending path: outbox rows to the Bot API, paced, retried, never twice |
| `database` | the database work (the engine's turns, outbox reads and deletes) in a thread pool |
| `request` | Bot API calls over aiohttp, plain data in and out |
| `handlers` | thin python-telegram-bot handlers: update in, engine call, outbox out |
| `updates` | where updates come from: long polling (offset confirmed after processing) or a webhook |
| `service` | wiring it together; `cips bot` runs it |
"""
