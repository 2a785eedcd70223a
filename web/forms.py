"""The web forms (Flask-WTF: every form carries a CSRF token). Every message is our own, so it
is translated in our catalogs; durations and quiet hours use the same syntax as the CLI."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from survey.campaigns import CAMPAIGN_CODE, WAVE_LABEL, CampaignError, parse_duration
from survey.campaigns import ADMINISTRATION_CODE, parse_quiet_hours
from survey.engine.engine import SOURCE_TAG

REQUIRED = _l("Please fill this in.")
NOT_A_NUMBER = _l("Please enter a whole number.")
NOT_A_DECIMAL = _l("Please enter a number.")
NOT_A_TIME = _l("Please enter a date and time.")
NOT_A_CHOICE = _l("Please choose one of the options.")
LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"


def duration(form, field) -> None:
    try:
        parse_duration(field.data or "")
    except CampaignError as exc:
        raise ValidationError(_l("Use a duration such as 30m, 24h or 2d.")) from exc


def optional_duration(form, field) -> None:
    if (field.data or "").strip().lower() not in ("", "off"):
        duration(form, field)


def quiet_hours(form, field) -> None:
    try:
        parse_quiet_hours(field.data or "")
    except CampaignError as exc:
        raise ValidationError(_l("Use two hours from 0 to 23, such as 20-08.")) from exc


def time_zone(form, field) -> None:
    try:
        ZoneInfo(field.data or "")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_l("Unknown time zone (use e.g. Africa/Abidjan).")) from exc


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), [DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(_l("Password"), [DataRequired(REQUIRED), Length(max=200)])


class CampaignSettingsForm(FlaskForm):
    """What can change on an existing campaign."""

    opens_at = DateTimeLocalField(
        _l("Opens (local time)"), [Optional()], format=LOCAL_TIME_FORMAT,
        invalid_value_message=NOT_A_TIME,
    )  # fmt: skip
    closes_at = DateTimeLocalField(
        _l("Closes (local time)"), [Optional()], format=LOCAL_TIME_FORMAT,
        invalid_value_message=NOT_A_TIME,
    )  # fmt: skip
    target_population = IntegerField(
        _l("Target population"),
        [Optional(), NumberRange(min=1, message=_l("Must be at least 1."))],
        invalid_value_message=NOT_A_NUMBER,
    )
    target_margin = FloatField(
        _l("Target margin of error (percentage points)"),
        [Optional(), NumberRange(min=0.5, max=25, message=_l("Between 0.5 and 25."))],
        invalid_value_message=NOT_A_DECIMAL,
    )
    remind_after = StringField(_l("First reminder after"), [DataRequired(REQUIRED), duration])
    remind_every = StringField(_l("Then every"), [DataRequired(REQUIRED), duration])
    max_reminders = IntegerField(
        _l("At most (reminders)"),
        [InputRequired(REQUIRED), NumberRange(min=0, max=10, message=_l("Between 0 and 10."))],
        invalid_value_message=NOT_A_NUMBER,
    )
    quiet_hours = StringField(_l("Quiet hours (local)"), [DataRequired(REQUIRED), quiet_hours])
    last_call = StringField(_l("Last call before closing (or off)"), [optional_duration])

    def validate_closes_at(self, field) -> None:
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The campaign must close after it opens."))


class CampaignForm(CampaignSettingsForm):
    """A new campaign: the settings plus what never changes afterwards."""

    administration = SelectField(_l("Administration"), invalid_choice_message=NOT_A_CHOICE)
    questionnaire = SelectField(_l("Questionnaire"), invalid_choice_message=NOT_A_CHOICE)
    wave = StringField(
        _l("Wave"),
        [DataRequired(REQUIRED), Regexp(WAVE_LABEL, message=_l("Up to 32 letters, digits, '.', - or _."))],
    )  # fmt: skip
    code = StringField(
        _l("Campaign code (in the link; leave empty to derive it)"),
        [Optional(), Regexp(CAMPAIGN_CODE, message=_l("3 to 64 letters, digits, - or _."))],
    )


class SourceForm(FlaskForm):
    label = StringField(_l("Name of the channel"), [DataRequired(REQUIRED), Length(max=100)])
    tag = StringField(
        _l("Tag (in the link)"),
        [DataRequired(REQUIRED), Regexp(SOURCE_TAG, message=_l("1 to 32 lower-case letters, digits or -."))],
    )  # fmt: skip


class AdministrationForm(FlaskForm):
    code = StringField(
        _l("Code"),
        [DataRequired(REQUIRED), Regexp(ADMINISTRATION_CODE, message=_l("2 to 32 letters, digits, - or _."))],
    )  # fmt: skip
    name = StringField(_l("Name"), [DataRequired(REQUIRED), Length(max=200)])
    timezone = StringField(_l("Time zone"), [DataRequired(REQUIRED), time_zone])
    languages = SelectMultipleField(
        _l("Languages offered to respondents"),
        [DataRequired(_l("Choose at least one language."))],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        invalid_choice_message=NOT_A_CHOICE,
    )


class TokenForm(FlaskForm):
    label = StringField(_l("What the token is for"), [DataRequired(REQUIRED), Length(max=100)])


class ConfirmForm(FlaskForm):
    """A button that changes something (open, close, revoke, remove): only its CSRF token."""
