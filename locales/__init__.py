"""The gettext catalogs, one folder per language (`<lang>/LC_MESSAGES/messages.po`).

This file only makes the folder installable with the packages; `survey.i18n` reads it.
"""
