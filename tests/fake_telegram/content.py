"""What a message may hold, refused as Telegram refuses it: text (its length in UTF-16 code
units, see the package docstring) and an inline keyboard."""

from __future__ import annotations

from tests.fake_telegram.records import ApiError

MAX_TEXT = 4096  # UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes


def utf16_length(text: str) -> int:
    """The length of `text` in UTF-16 code units, as Telegram measures message text."""
    return len(text.encode("utf-16-le")) // 2


def message_content(params: dict) -> tuple[str, list[list[dict]]]:
    """A message's text and inline keyboard, refused as Telegram refuses them."""
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_length(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    markup = params.get("reply_markup")
    if markup is None:
        return text, []  # an edit without reply_markup removes the buttons
    keyboard = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise ApiError(400, "Bad Request: can't parse inline keyboard markup JSON object")
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if "web_app" in button:  # a Mini App: Telegram opens HTTPS addresses only
                url = (button["web_app"] or {}).get("url", "")
                if not str(url).startswith("https://"):
                    raise ApiError(400, f"Bad Request: inline keyboard button Web App URL "
                                        f"'{url}' is invalid: Only HTTPS links are allowed")  # fmt: skip
                continue
            if data is None and "url" not in button:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text "
                                    "buttons are unallowed in the inline keyboard")  # fmt: skip
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return text, keyboard
