"""What the Telegram channel itself says (the engine's texts are in `survey.engine.messages`)."""

from survey.factors import N_

PRIVATE_ONLY = N_(
    "This survey bot works only in private chats, to protect the anonymity of respondents. "
    "Please open it directly, not in a group."
)

# The button under a question that opens the same survey as a form (a Telegram Mini App).
ANSWER_AS_FORM = N_("Answer as a form")

# The command menu (setMyCommands), in each language.
COMMAND_DESCRIPTIONS = {
    "start": N_("Start the survey (or continue it)"),
    "language": N_("Change the language"),
    "back": N_("Change your previous answer"),
    "help": N_("How to answer"),
    "stop": N_("Stop the survey"),
    "delete": N_("Delete your answers"),
}
