"""The web forms (Flask-WTF: every form carries a CSRF token). Every message is our own, so it
is translated in our catalogs; durations and quiet hours use the same syntax as the CLI."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext
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

from survey.access_codes import MAX_CODES
from survey.campaigns import (
    ADMINISTRATION_CODE,
    CAMPAIGN_CODE,
    MAX_REMINDERS,
    WAVE_LABEL,
    CampaignError,
    parse_duration,
    parse_quiet_hours,
)
from survey.engine.starting import SOURCE_TAG

REQUIRED = lazy_gettext("Please fill this in.")
NOT_A_NUMBER = lazy_gettext("Please enter a whole number.")
NOT_A_DECIMAL = lazy_gettext("Please enter a number.")
NOT_A_TIME = lazy_gettext("Please enter a date and time.")
NOT_A_CHOICE = lazy_gettext("Please choose one of the options.")
LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"
# Next to a closing time the domain refused (survey.campaigns.ClosingTimePassed).
CLOSING_TIME_PASSED = lazy_gettext("This closing time has passed: closing ends the fieldwork for good (contacts erased, results released), so choose a time in the future.")  # fmt: skip


def duration(form, field) -> None:
    try:
        parse_duration(field.data or "")
    except CampaignError as exc:
        raise ValidationError(lazy_gettext("Use a duration such as 30m, 24h or 2d.")) from exc


def optional_duration(form, field) -> None:
    if (field.data or "").strip().lower() not in ("", "off"):
        duration(form, field)


def quiet_hours(form, field) -> None:
    try:
        parse_quiet_hours(field.data or "")
    except CampaignError as exc:
        raise ValidationError(lazy_gettext("Use two hours from 0 to 23, such as 20-08.")) from exc


def time_zone(form, field) -> None:
    try:
        ZoneInfo(field.data or "")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(lazy_gettext("Unknown time zone (use e.g. Africa/Abidjan).")) from exc


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("User name"), [DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(lazy_gettext("Password"), [DataRequired(REQUIRED), Length(max=200)])


class CampaignSettingsForm(FlaskForm):
    """What can change on an existing campaign."""

    opens_at = DateTimeLocalField(
        lazy_gettext("Opens (local time)"), [Optional()], format=LOCAL_TIME_FORMAT,
        invalid_value_message=NOT_A_TIME,
    )  # fmt: skip
    closes_at = DateTimeLocalField(
        lazy_gettext("Closes (local time)"), [Optional()], format=LOCAL_TIME_FORMAT,
        invalid_value_message=NOT_A_TIME,
    )  # fmt: skip
    target_population = IntegerField(
        lazy_gettext("Target population"),
        [Optional(), NumberRange(min=1, message=lazy_gettext("Must be at least 1."))],
        invalid_value_message=NOT_A_NUMBER,
    )
    target_margin = FloatField(
        lazy_gettext("Target margin of error (percentage points)"),
        [Optional(), NumberRange(min=0.5, max=25, message=lazy_gettext("Between 0.5 and 25."))],
        invalid_value_message=NOT_A_DECIMAL,
    )
    remind_after = StringField(
        lazy_gettext("First reminder after"), [DataRequired(REQUIRED), duration]
    )
    remind_every = StringField(lazy_gettext("Then every"), [DataRequired(REQUIRED), duration])
    max_reminders = IntegerField(
        lazy_gettext("At most (reminders)"),
        [
            InputRequired(REQUIRED),
            # The domain's limit (ReminderPolicy.check); the message's 10 is MAX_REMINDERS.
            NumberRange(min=0, max=MAX_REMINDERS, message=lazy_gettext("Between 0 and 10.")),
        ],
        invalid_value_message=NOT_A_NUMBER,
    )
    quiet_hours = StringField(
        lazy_gettext("Quiet hours (local)"), [DataRequired(REQUIRED), quiet_hours]
    )
    last_call = StringField(lazy_gettext("Last call before closing (or off)"), [optional_duration])

    def validate_closes_at(self, field) -> None:
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(lazy_gettext("The campaign must close after it opens."))


class CampaignForm(CampaignSettingsForm):
    """A new campaign: the settings plus what never changes afterwards."""

    administration = SelectField(
        lazy_gettext("Administration"), invalid_choice_message=NOT_A_CHOICE
    )
    questionnaire = SelectField(lazy_gettext("Questionnaire"), invalid_choice_message=NOT_A_CHOICE)
    wave = StringField(
        lazy_gettext("Wave"),
        [DataRequired(REQUIRED), Regexp(WAVE_LABEL, message=lazy_gettext("Up to 32 letters, digits, '.', - or _."))],
    )  # fmt: skip
    code = StringField(
        lazy_gettext("Campaign code (in the link; leave empty to derive it)"),
        [
            Optional(),
            Regexp(CAMPAIGN_CODE, message=lazy_gettext("3 to 64 letters, digits, - or _.")),
        ],
    )


class SourceForm(FlaskForm):
    label = StringField(
        lazy_gettext("Name of the channel"), [DataRequired(REQUIRED), Length(max=100)]
    )
    tag = StringField(
        lazy_gettext("Tag (in the link)"),
        [DataRequired(REQUIRED), Regexp(SOURCE_TAG, message=lazy_gettext("1 to 32 lower-case letters, digits or -."))],
    )  # fmt: skip


class AccessCodeCountForm(FlaskForm):
    """How many one-time access codes to generate (web.access_codes)."""

    max_count = MAX_CODES
    count = IntegerField(
        lazy_gettext("Number of access codes"),
        [InputRequired(REQUIRED)],
        default=50,
        invalid_value_message=NOT_A_NUMBER,
    )

    def validate_count(self, field) -> None:
        if field.data is not None and not 1 <= field.data <= self.max_count:
            message = lazy_gettext("Choose between 1 and {count} codes.")
            raise ValidationError(message.format(count=self.max_count))


class AdministrationForm(FlaskForm):
    code = StringField(
        lazy_gettext("Code"),
        [DataRequired(REQUIRED), Regexp(ADMINISTRATION_CODE, message=lazy_gettext("2 to 32 letters, digits, - or _."))],
    )  # fmt: skip
    name = StringField(lazy_gettext("Name"), [DataRequired(REQUIRED), Length(max=200)])
    timezone = StringField(lazy_gettext("Time zone"), [DataRequired(REQUIRED), time_zone])
    languages = SelectMultipleField(
        lazy_gettext("Languages offered to respondents"),
        [DataRequired(lazy_gettext("Choose at least one language."))],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        invalid_choice_message=NOT_A_CHOICE,
    )


class TokenForm(FlaskForm):
    label = StringField(
        lazy_gettext("What the token is for"), [DataRequired(REQUIRED), Length(max=100)]
    )
    # Set by the view: the user's administration, or (admins) any or every one.
    scope = SelectField(lazy_gettext("Administration"), invalid_choice_message=NOT_A_CHOICE)
    access = SelectField(  # choices set by the view (web.account)
        lazy_gettext("Access"), default="read", invalid_choice_message=NOT_A_CHOICE
    )
    days = IntegerField(
        lazy_gettext("Valid for (days)"),
        [
            DataRequired(REQUIRED),
            NumberRange(min=1, max=365, message=lazy_gettext("Between 1 and 365 days.")),
        ],
        default=90,
    )


class ConfirmForm(FlaskForm):
    """A button that changes something (open, close, revoke, remove): only its CSRF token."""


class DeleteCampaignForm(FlaskForm):
    """Deleting a campaign: with completed responses an admin types its code to confirm."""

    confirm_code = StringField(
        lazy_gettext("Type the campaign's code to confirm"), [Optional(), Length(max=64)]
    )


class NextWaveForm(FlaskForm):
    """The next wave of a campaign: its settings and channels, under a new code and wave."""

    wave = StringField(
        lazy_gettext("Wave"),
        [DataRequired(REQUIRED), Regexp(WAVE_LABEL, message=lazy_gettext("Up to 32 letters, digits, '.', - or _."))],
    )  # fmt: skip
    code = StringField(
        lazy_gettext("Campaign code (in the link)"),
        [DataRequired(REQUIRED), Regexp(CAMPAIGN_CODE, message=lazy_gettext("3 to 64 letters, digits, - or _."))],
    )  # fmt: skip
    opens_at = DateTimeLocalField(
        lazy_gettext("Opens (local time)"), [Optional()], format=LOCAL_TIME_FORMAT,
        invalid_value_message=NOT_A_TIME,
    )  # fmt: skip
    closes_at = DateTimeLocalField(
        lazy_gettext("Closes (local time)"), [Optional()], format=LOCAL_TIME_FORMAT,
        invalid_value_message=NOT_A_TIME,
    )  # fmt: skip

    def validate_closes_at(self, field) -> None:
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(lazy_gettext("The campaign must close after it opens."))


class CodeForm(FlaskForm):
    """A code of the authenticator app (six digits) or, at sign-in, a recovery code."""

    code = StringField(lazy_gettext("Code"), [DataRequired(REQUIRED), Length(max=40)])
