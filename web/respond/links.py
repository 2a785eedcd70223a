"""The web survey link of a campaign (and outreach source) at the public address.

`CIPS_PUBLIC_URL` (survey.config) is the address respondents reach; without it, the address of
the request at hand (right on a laptop, wrong behind a proxy that rewrites the host: set it).
Either way a link respondents may not reach is printed with a warning wherever it is shown
(`reachable`; the pages, posters and code files say it translated: web.links), as the chat link
without the bot's username is.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from urllib.parse import quote, urlsplit

from flask import has_request_context, request

from survey.config import Settings


class Reach(StrEnum):
    """Whether respondents elsewhere can open links built on the public address."""

    PUBLIC = "public"  # CIPS_PUBLIC_URL is set to an address outside this computer and network
    UNSET = "unset"  # CIPS_PUBLIC_URL is not set: the request's (or a default) address is used
    LOCAL = "local"  # CIPS_PUBLIC_URL is a loopback, private or link-local address, or localhost


# What the command line says beside such a link (the web pages and files say it translated).
NOT_REACHABLE = {
    Reach.UNSET: "CIPS_PUBLIC_URL is not set; the link assumes cips run on this machine",
    Reach.LOCAL: "CIPS_PUBLIC_URL is an address of this computer or its local network, which "
    "respondents' phones and computers cannot reach: set it to the public address of the web "
    "back end",
}


def reachable(settings: Settings) -> Reach:
    if not settings.public_url:
        return Reach.UNSET
    return Reach.LOCAL if is_local(settings.public_url) else Reach.PUBLIC


def is_local(url: str) -> bool:
    """Whether `url`'s host is this computer or a private network (loopback, private,
    link-local or unspecified addresses, `localhost`)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost") or not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: assumed public (a private DNS name cannot be told from here)
    return any((address.is_loopback, address.is_private, address.is_link_local,
                address.is_unspecified))  # fmt: skip


def public_base(settings: Settings, fallback: str | None = None) -> str:
    if settings.public_url:
        return settings.public_url
    if fallback:
        return fallback.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def web_link(base: str, campaign_code: str, tag: str | None = None) -> str:
    link = f"{base}/s/{quote(campaign_code)}"
    return f"{link}?s={quote(tag)}" if tag else link
