"""The CIPS domain core: questionnaires, storage, the conversation engine and anonymity.

Nothing in this package imports Telegram or Flask; the channels (`bot`, `web`) and `analysis`
build on it.
"""
