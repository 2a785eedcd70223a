"""Storage: SQLAlchemy 2 models, the database connection, and Alembic migrations."""

from survey.storage.db import Database
from survey.storage.models import (
    Administration,
    Answer,
    ApiToken,
    Base,
    Campaign,
    CampaignSource,
    Contact,
    Outbox,
    Participation,
    Respondent,
    User,
)

__all__ = [
    "Administration",
    "Answer",
    "ApiToken",
    "Base",
    "Campaign",
    "CampaignSource",
    "Contact",
    "Database",
    "Outbox",
    "Participation",
    "Respondent",
    "User",
]
