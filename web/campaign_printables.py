"""What a coordinator prints or shares of a campaign's links (routes of the `campaigns`
blueprint, `web.campaigns`): the QR code of its chat link (PNG or SVG, shown on the campaign
page or downloaded) and its A4 poster. `source_tag` and `image_download` serve the web link's QR
codes too (`web.access_codes`)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, render_template, request, url_for

from survey import access_codes, audit
from survey.storage.models import Campaign
from web.audit import note_download
from web.auth import campaign_or_404, login_required
from web.campaigns import bp
from web.links import bot_username, campaign_link, link_unusable_text, web_link_warning
from web.poster import CHAT, LINK_CHOICES, WEB, PosterLink, poster_blocks, poster_links
from web.qr import qr_png, qr_svg
from web.respond.links import public_base, web_link
from web.state import app_state


def source_tag(campaign: Campaign) -> str | None:
    """The channel of `?source=` (None without one); 404 if the campaign has no such channel."""
    tag = request.args.get("source") or None
    if tag is not None and tag not in {s.tag for s in campaign.sources}:
        abort(404)
    return tag


@bp.get("/<code>/qr.png")
@login_required
def qr_png_view(code: str):
    return _chat_qr(code, qr_png, "image/png", "png")


@bp.get("/<code>/qr.svg")
@login_required
def qr_svg_view(code: str):
    return _chat_qr(code, qr_svg, "image/svg+xml", "svg")


def _chat_qr(code: str, encode: Callable[[str], bytes], mimetype: str, extension: str) -> Response:
    """The QR code of the campaign's chat link; no QR code of a link that leads nowhere: the
    reason and the fix instead (409 Conflict)."""
    campaign = campaign_or_404(code)
    link = campaign_link(campaign.code, source_tag(campaign))
    if bot_username() is None:
        return Response(link_unusable_text(), status=409, mimetype="text/plain")
    return image_download(encode(link), mimetype, f"{campaign.code}-qr.{extension}", campaign)


def image_download(body: bytes, mimetype: str, filename: str, campaign: Campaign) -> Response:
    """An image of `campaign` shown on a page, or (`?download=1`) saved: then recorded as a
    download in the audit log."""
    response = Response(body, mimetype=mimetype)
    if request.args.get("download"):  # shown on the page otherwise: recorded as a download only
        note_download(audit.DOWNLOAD, administration=campaign.administration.code,
                      campaign=campaign.code, format=filename.rsplit(".", 1)[-1],
                      detail=filename)  # fmt: skip
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<code>/poster")
@login_required
def poster(code: str):
    """The A4 poster with the link the coordinator chose (`?link=chat|web|both`, chat if none)."""
    campaign = campaign_or_404(code)
    tag = source_tag(campaign)
    choice = request.args.get("link") or CHAT
    if choice not in LINK_CHOICES:
        abort(404)
    questionnaire = app_state().questionnaires[campaign.questionnaire_id]
    chat = PosterLink(
        CHAT,
        campaign_link(campaign.code, tag),
        url_for("campaigns.qr_svg_view", code=campaign.code, source=tag),
        None if bot_username() else link_unusable_text(),
    )
    web = PosterLink(
        WEB,
        web_link(public_base(app_state().settings), campaign.code, tag),
        url_for("access_codes.web_qr", code=campaign.code, fmt="svg", source=tag),
        warning=web_link_warning(),
    )
    return render_template(
        "campaigns/poster.html",
        campaign=campaign,
        links=poster_links(choice, chat, web),
        blocks=poster_blocks(
            questionnaire,
            campaign.administration.language_list,
            choice,
            needs_code=campaign.web_access == access_codes.CODES,
        ),
    )
