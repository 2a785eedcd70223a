"""The domain core stays free of the channels (DESIGN.md, layout)."""

import subprocess
import sys


def test_survey_imports_neither_telegram_nor_flask():
    code = (
        "import sys, survey, survey.loader, survey.storage, survey.campaigns, survey.anonymity;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'flask')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
