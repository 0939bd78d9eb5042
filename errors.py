"""The one error type users see.

Anything the user can fix (a bad option, a missing file, a corrupt download) is raised as
`ProjectError`; `cli.py` prints its message as a single line and exits non-zero. Every other
exception is a bug and keeps its traceback.
"""


class ProjectError(Exception):
    """A problem with the user's input or environment, explained in one line."""
