"""Telegram, as the bot tests see it: the Bot API over real HTTP, and the people who chat.

The real bot process (`cips bot`, TELEGRAM_API_URL pointing here) talks to `FakeTelegram` as it
would to api.telegram.org; tests play Telegram users through `FakeUser` (type text and commands,
send stickers, press buttons, block the bot, add it to a group) and read each chat as the person
would see it.

This package is written from Telegram's documentation (core.telegram.org/bots/api, and the
bots FAQ for the limits) and imports nothing from the product: a mistake the product makes about
Telegram is not repeated here, so the tests can catch it. Implemented as documented:

- getMe; getUpdates with long polling (`timeout`), `offset` (an update is confirmed, and
  forgotten, once getUpdates is called with an offset higher than its id; a negative offset
  keeps the last updates), `limit` (1-100) and `allowed_updates` (applies to updates created
  after the call; by default all but chat_member and reactions); 409 Conflict while a webhook
  is set, and to a long poll that a newer getUpdates replaced; setWebhook and deleteWebhook
  (with drop_pending_updates; updates are not pushed to the webhook: a test posts them);
- sendMessage, editMessageText, answerCallbackQuery, setMyCommands;
- parameters as a JSON body, a form (urlencoded or multipart, non-string values JSON-encoded) or
  a query string; method names case-insensitive;
- answers `{"ok": false, "error_code", "description"}`: 400 "message text is empty", "message
  is too long", "BUTTON_DATA_INVALID" (callback_data over 64 bytes), "chat not found" (a chat
  nobody opened), "message to edit not found", "message can't be edited", "message is not
  modified: ..." (an edit to the same text and keyboard), "query is too old ... or query ID is
  invalid" (a callback query unknown or answered already); 403 "bot was blocked by the user";
  429 "Too Many Requests: retry after N" with `parameters.retry_after`; 401 for another token,
  404 for an unknown method.

Text length: Telegram allows 4096 characters "after entities parsing" and measures entities in
UTF-16 code units; the length here is in UTF-16 code units too (a character outside the Basic
Multilingual Plane, such as most emoji, counts two), the stricter of the two readings, so text
this fake accepts Telegram accepts. Entities are not parsed (the bot sends plain text).

Limits (the FAQ: "avoid sending more than one message per second" in a chat, "not more than 30
messages per second" overall), enforced and counted as `Pace` says: per chat a token bucket
(`burst` at once, then `rate` a second), and at most `overall` messages from all chats together
in any `window` seconds. Messages are sendMessage and editMessageText; answering a callback
query is not one. Over a limit the call is answered 429 with retry_after (whole seconds, at least
one) and nothing is delivered.

Every call is recorded in `served` (monotonic time of arrival, method, chat, outcome), injected
faults included, so that a test can check what the bot did and when (`max_in_window`,
`confirmed`), not only what the chats ended with.

The package, one job a module:

- `records`: the data (ApiError, Pace, ChatMessage, Served) and the bot's identity (TOKEN);
- `content`: what a message may hold (text length in UTF-16 code units, inline keyboards);
- `limits`: the per-chat buckets and the overall sliding window, and counting messages in one;
- `fake`: FakeTelegram, the Bot API's state for one bot and what tests and people do with it;
- `history`: the questions tests ask of the calls served (`max_in_window`, `confirmed`);
- `serving`: a call's life (recorded, a fault injected, answered, getUpdates waited on);
- `methods`: the Bot API methods themselves;
- `server`: the Bot API over HTTP (aiohttp on a thread of its own);
- `people`: FakeUser, a person and their private chat with the bot.
"""

from tests.fake_telegram.fake import FakeTelegram
from tests.fake_telegram.people import FakeUser
from tests.fake_telegram.records import TOKEN, ApiError, ChatMessage, Pace, Served

__all__ = [
    "TOKEN",
    "ApiError",
    "ChatMessage",
    "FakeTelegram",
    "FakeUser",
    "Pace",
    "Served",
]
