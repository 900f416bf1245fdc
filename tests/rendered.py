"""What a reader sees of Markdown the app escaped: for comparing AppTest element values."""

import re

from sarcoma.formatting import WORD_JOINER


def rendered(markdown: str) -> str:
    """Backslash escapes resolved and the invisible word joiners dropped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")
