"""The two kinds of failure a user can meet.

`UserInputError` is bad input the user can fix (a file, a column, a value): the CLI prints its
one sentence and exits 2 with no traceback. Anything else is an internal error and exits 1.
"""


class UserInputError(ValueError):
    """Bad input, explained in one sentence that names the file, column or value."""
