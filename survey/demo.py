"""The demo administration and its campaigns: what a first run (`cips run`, `cips chat`) and
`cips demo` create so that a newcomer has something to answer and to look at.

One administration, `DEMO` (every catalog language, UTC), and for a wave one campaign per
built-in questionnaire: `demo` for officials (the code `cips chat` and the README use) and
`demo-traders` for the private sector in the current wave; `demo-<wave>-officials` and
`demo-<wave>-traders` for any other wave.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.campaigns import create_administration, create_campaign
from survey.i18n import available_languages
from survey.questionnaire import Questionnaire
from survey.storage.models import Administration, Campaign

ADMINISTRATION = "DEMO"
ADMINISTRATION_NAME = "Demo Customs administration"
QUESTIONNAIRES = {"officials": "cips-officials", "traders": "cips-private-sector"}


def demo_administration(session: Session) -> Administration:
    administration = session.scalar(
        select(Administration).where(Administration.code == ADMINISTRATION)
    )
    if administration is None:
        administration = create_administration(
            session, ADMINISTRATION, ADMINISTRATION_NAME, "UTC", available_languages()
        )
    return administration


def campaign_code(wave: str, audience: str, current: bool) -> str:
    if current:
        return "demo" if audience == "officials" else "demo-traders"
    return f"demo-{wave}-{audience}"


def demo_campaigns(
    session: Session, questionnaires: dict[str, Questionnaire], wave: str, *, current: bool = True
) -> list[Campaign]:
    """The wave's demo campaigns (officials, traders), created open if they do not exist yet."""
    administration = demo_administration(session)
    campaigns = []
    for audience, questionnaire_id in QUESTIONNAIRES.items():
        code = campaign_code(wave, audience, current)
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        if campaign is None:
            campaign = create_campaign(
                session, administration, questionnaires[questionnaire_id], wave, code=code
            )
        campaigns.append(campaign)
    return campaigns
