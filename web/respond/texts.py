"""What the web survey says besides the engine's messages (gettext source strings)."""

from survey.factors import N_

PAGE_TITLE = N_("Survey")
NEXT = N_("Next")
BACK = N_("Back")
STOP = N_("Stop the survey")
DELETE = N_("Delete my answers")
LANGUAGE = N_("Language")
FORGET = N_("Leave and forget this browser")
FORGET_HINT = N_(
    "On a shared computer, press this when you leave: the next person cannot continue your "
    "survey or see your answers."
)
START = N_("Start")
UNKNOWN_LINK = N_(
    "There is no survey with the code “{code}”. Please check the survey link you were given."
)
LANDING = N_(
    "Choose your language, then press “Start”. If you already started on this browser, you "
    "will continue where you stopped."
)
ACCESS_CODE = N_("Access code")
ACCESS_CODE_HINT = N_("Type the access code printed on the card you were given.")
CODE_UNKNOWN = N_("This access code is not valid. Please check it and type it again.")
CODE_LOCKED = N_(
    "Too many wrong access codes have been tried for this survey. Please try again in ten minutes."
)
CHOOSE_ONE = N_("Please choose an answer, then press “Next”.")
TOO_LONG = N_(
    "Your answer has {length} characters; this question takes at most {count}. Please shorten "
    "it: nothing has been saved yet."
)
EXPIRED_FORM = N_("This page had expired, so nothing was saved. Please answer again.")
NO_BROWSER_SURVEY = N_(
    "This browser does not hold a survey in progress any more: it was left, or its cookie "
    "expired or was cleared. You can start again below."
)
FORGOTTEN = N_(
    "This browser has forgotten the survey: nobody can continue it or see its answers here. "
    "You can close this page."
)
YOUR_ANSWER = N_("Your answer")

# The Telegram Mini App (web.respond.miniapp).
MINIAPP_OPENING = N_(
    "Opening the survey form… If nothing happens, this page was not opened from Telegram: "
    "press “Answer as a form” under a question in your chat with the survey bot."
)
MINIAPP_FORGED = N_(
    "This form could not be opened: Telegram's signature on it is missing or wrong, so it may "
    "not come from your Telegram account. Close it and press “Answer as a form” again in your "
    "chat with the survey bot."
)
MINIAPP_STALE = N_(
    "This form was opened from an old message and has expired. Close it and press “Answer as a "
    "form” under the latest question in your chat with the survey bot."
)
MINIAPP_EXPIRED = N_(
    "This form was left open for too long and has expired: your last answer was not saved, the "
    "ones before are kept. Close it and press “Answer as a form” again in your chat with the "
    "survey bot."
)
MINIAPP_UNAVAILABLE = N_(
    "The survey form is not available on this server. Please answer in the chat with the "
    "survey bot."
)
