"""QR codes of campaign links, as PNG (pure Python, pypng) or SVG."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage


def qr_png(data: str, box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=PyPNGImage, box_size=box_size, border=4).save(buffer)
    return buffer.getvalue()


def qr_svg(data: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=SvgPathImage, box_size=10, border=4).save(buffer)
    return buffer.getvalue()
