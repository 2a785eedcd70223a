"""Every text the engine says, as gettext source strings (translated in `locales/`)."""

from survey.factors import N_

# Answer scale (SCORING.md codes 1-5, DK, PNA), most negative first.
SCALE_LABELS = {
    "1": N_("Strongly disagree"),
    "2": N_("Disagree"),
    "3": N_("Neither agree nor disagree"),
    "4": N_("Agree"),
    "5": N_("Strongly agree"),
    "DK": N_("Don't know"),
    "PNA": N_("Prefer not to answer"),
}

ASK_CODE = N_(
    "Welcome. To take part in a survey, please open the survey link you were given, "
    "or send the survey code here."
)
UNKNOWN_CODE = N_(
    "There is no survey with the code “{code}”. Please check the code and send it again."
)
NOT_OPEN_YET = N_("This survey opens on {date}. Please come back then.")
CAMPAIGN_CLOSED = N_("This survey is closed. Thank you for your interest.")
CHOOSE_LANGUAGE = N_("Please choose your language.")
# What the consent says depends on the channel (survey.channels), so that it is true of what
# that channel keeps while the person answers: the chat holds the chat id, encrypted, to send
# the next question and reminders; the Mini App is the same Telegram respondent as the chat; a
# browser holds a random token in a cookie, of which the contact keeps a keyed hash, and is sent
# nothing (no reminders); an access code is only marked used at consent. Forms take a choice and
# "Next", not one tap.
INTRO = N_(
    "{title}\n\n"
    "This survey asks how you see integrity in Customs in your country. "
    "There are {count} questions. Most take one tap."
)
INTRO_FORM = N_(
    "{title}\n\n"
    "This survey asks how you see integrity in Customs in your country. "
    "There are {count} questions. Most need only one choice."
)
ANONYMITY = N_(
    "Your answers are anonymous. While you answer, a link encrypted with our secret key joins "
    "this chat to your answers, only to send you the next question and reminders. When you "
    "finish or stop, or the survey closes, your answers are sealed: mixed into a group of at "
    "least {k} people's answers, under a new random number, with no date or time, and the link "
    "is erased without a trace. Then nobody, not even the survey team or the database staff, can "
    "find which answers are yours, so they cannot be changed or deleted. Results are published "
    "after the survey closes, only for groups of at least {k} people."
)
ANONYMITY_MINIAPP = N_(
    "Your answers are anonymous. While you answer, a link made with our secret key joins your "
    "Telegram account to your answers, only to show you the next question, in this form or in "
    "your chat with the survey bot, and to send reminders to that chat. When you finish or stop, "
    "or the survey closes, your answers are sealed: mixed into a group of at least {k} people's "
    "answers, under a new random number, with no date or time, and the link is erased without a "
    "trace. Then nobody, not even the survey team or the database staff, can find which answers "
    "are yours, so they cannot be changed or deleted. Results are published after the survey "
    "closes, only for groups of at least {k} people."
)
ANONYMITY_WEB = N_(
    "Your answers are anonymous. While you answer, a random number kept in a cookie of this "
    "browser joins it to your answers, only so that you can continue where you stopped. We keep "
    "only a code made from that number with our secret key: not your address, your browser or "
    "your name, and we send you nothing. When you finish or stop, or the survey closes, your "
    "answers are sealed: mixed into a group of at least {k} people's answers, under a new random "
    "number, with no date or time, and the link is erased without a trace. Then nobody, not even "
    "the survey team or the database staff, can find which answers are yours, so they cannot be "
    "changed or deleted. Results are published after the survey closes, only for groups of at "
    "least {k} people."
)
ANONYMITY_CODE = N_(
    "Your answers are anonymous. Your access code is marked as used when you agree, and nothing "
    "is kept that leads from the code to your answers. While you answer, a random number kept in "
    "a cookie of this browser joins it to your answers, only so that you can continue where you "
    "stopped. We keep only a code made from that number with our secret key: not your address, "
    "your browser or your name, and we send you nothing. When you finish or stop, or the survey "
    "closes, your answers are sealed: mixed into a group of at least {k} people's answers, under "
    "a new random number, with no date or time, and the link is erased without a trace. Then "
    "nobody, not even the survey team or the database staff, can find which answers are yours, "
    "so they cannot be changed or deleted. Results are published after the survey closes, only "
    "for groups of at least {k} people."
)
CONSENT_QUESTION = N_("Do you agree to take part?")
I_AGREE = N_("Yes, I agree")
NO_THANKS = N_("No, thank you")
CHANGE_LANGUAGE = N_("Change language")
DECLINED = N_(
    "Thank you. Nothing was recorded. If you change your mind, open the survey link again."
)
# An access code is spent at consent (survey.access_codes): a twin browser with the same code
# may have agreed first, or the campaign started asking for codes after this browser started.
CODE_USED = N_("This access code has already been used. Each code opens one response only.")
CODE_NEEDED = N_(
    "This survey now asks for an access code. Please open the survey link again and type the "
    "code printed on the card you were given."
)
ALREADY_TOOK_PART = N_(
    "You have already taken part in this survey. Thank you. Each person can take part only "
    "once, and answers cannot be changed after you finish or stop."
)
PROGRESS = N_("Question {number} of {total}")
CURRENT_ANSWER = N_("Your answer so far: {answer}")
CHOSEN = N_("Your answer: {answer}")
SKIP = N_("Skip")
DONE = N_("Done")
CHOOSE_SEVERAL = N_("You can choose several answers, then press “Done”.")
CHOOSE_AT_MOST = N_("Please choose at most {count} answers.")
CHOOSE_AT_LEAST_ONE = N_("Please choose at least one answer, then press “Done”.")
TYPE_NUMBER = N_("Please type a number from {min} to {max}.")
TYPE_WHOLE_NUMBER = N_("Please type a whole number from {min} to {max}.")
TYPE_TEXT = N_("Please type your answer (at most {count} characters).")
TEXT_CUT = N_("Your answer was too long, so only the first {count} characters were kept.")
# What typing can do, said only where it is true: an option as its button reads it, and on the
# agreement scale its numbers (the buttons show no numbers).
USE_BUTTONS = N_(
    "Please answer with one of the buttons below, or type your answer as it is written on its "
    "button."
)
TYPE_SCALE = N_(
    "Please answer with one of the buttons below, or type a number from 1 ({low}) to 5 ({high})."
)
PRESS_A_BUTTON = N_("Please answer with one of the buttons below.")
UNSUPPORTED = N_("Sorry, this survey can only read text and button presses.")
EMPTY_TEXT = N_("Your message was empty. Please type your answer.")
ANSWER_CHANGED = N_("Your answer was changed.")
QUESTION_CLOSED = N_(
    "That question is already answered and cannot be changed in this survey. "
    "Please answer the current question."
)
BUTTON_EXPIRED = N_("That button is no longer valid. Here is your current question.")
ALREADY_ANSWERED = N_("That question is already answered; the current one is below.")
CONVERSATION_ENDED = N_("That button no longer works: this conversation has ended.")
FIRST_QUESTION = N_("This is the first question.")
NO_GOING_BACK = N_("Going back is not possible in this survey.")
CANNOT_SKIP = N_("This question needs an answer.")
HELP = N_(
    "Answer each question with the buttons, or type your answer as it is written on its button "
    "(on the agreement scale, also a number from 1 for “Strongly disagree” to 5 for “Strongly "
    "agree”).\n"
    "/back – change your previous answer\n"
    "/language – change the language\n"
    "/stop – stop the survey\n"
    "/delete – delete your answers (only before you finish)\n"
    "/help – show this help\n"
    "You can leave and come back at any time: you will continue where you stopped."
)
CONFIRM_STOP = N_(
    "Do you want to stop the survey? The answers you have given are kept, anonymously. "
    "You will not be able to continue later and you will get no reminders."
)
# A browser gets no reminders; a spent access code cannot open the survey again.
CONFIRM_STOP_WEB = N_(
    "Do you want to stop the survey? The answers you have given are kept, anonymously. "
    "You will not be able to continue later."
)
CONFIRM_DELETE = N_(
    "Do you want to delete your answers? Everything you have answered in this survey will be "
    "erased. You can start again later with the survey link."
)
CONFIRM_DELETE_CODE = N_(
    "Do you want to delete your answers? Everything you have answered in this survey will be "
    "erased. Your access code stays used, so it cannot open the survey again."
)
YES_STOP = N_("Yes, stop")
YES_DELETE = N_("Yes, delete")
NO_CONTINUE = N_("No, continue")
STOPPED = N_("The survey is stopped. Thank you for your answers.")
DELETED = N_("Your answers have been deleted. Thank you.")
NOTHING_TO_DELETE = N_(
    "There is nothing to delete: you have no survey in progress. Answers can only be deleted "
    "while you are still answering. Once you finish or stop, they are sealed with other people's "
    "answers, and nobody can find which ones are yours to delete them."
)
NOTHING_IN_PROGRESS = N_(
    "You have no survey in progress. To take part, open the survey link you were given."
)
THANKS = N_(
    "Thank you! Your answers have been saved. They will be sealed with other people's answers, "
    "and then nobody can find which ones are yours. This protects your anonymity, and it also "
    "means they can no longer be changed or deleted."
)

# Reminders (sent by the clock, in the person's language).
REMINDER = N_(
    "You have answered {answered} of {total} questions. Your answers are kept: press "
    "“Continue” to go on where you stopped."
)
LAST_CALL = N_(
    "The survey closes in about {hours} hours. You have answered {answered} of {total} "
    "questions: press “Continue” to finish it."
)
CONTINUE = N_("Continue")
