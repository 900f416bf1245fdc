"""The one base type of every error the analysis core raises about a user's data or choices.

Each message is plain language, written for the clinician who uploaded the file (what is wrong,
where, and what to do), so a page can show any `SarcomaError` as it is, escaped, and never a
traceback. Errors that mean a bug in this tool are not `SarcomaError`s.
"""


class SarcomaError(ValueError):
    """Data or an option the analysis cannot use; the message says why and what to do."""
