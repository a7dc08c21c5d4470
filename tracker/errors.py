"""Exceptions the CLI and the app turn into plain messages (never a traceback)."""


class HearbackError(Exception):
    """Base class: the message is meant for the user."""


class StorageError(HearbackError):
    """The database cannot be reached, created or written."""


class DatabaseBusy(StorageError):
    """Another writer held the database too long: nothing was saved, trying again works."""


class DiskFull(StorageError):
    """The disk (or the database's size limit) is full: nothing was saved."""


class ReadOnlyDatabase(StorageError):
    """The database can be read but not written (file permissions, read-only mount or
    replica): reads go on working, writes are refused."""


class DatabaseUnreachable(StorageError):
    """The database server cannot be reached (or dropped the connection)."""


class ValidationError(HearbackError):
    """Input that breaks a rule.

    ``errors`` maps a form field to its message so a form can show each one next to
    its field; ``""`` is used for errors that belong to no single field.
    """

    def __init__(self, message: str, *, field: str | None = None,
                 errors: dict[str, str] | None = None) -> None:
        self.errors = dict(errors or {})
        if field is not None:
            self.errors.setdefault(field, message)
        if not self.errors:
            self.errors[""] = message
        super().__init__(message)

    @property
    def field(self) -> str | None:
        return next(iter(self.errors), None) or None


class NotFoundError(HearbackError):
    """A record the caller named does not exist (or is not visible to them)."""


class PermissionDenied(HearbackError):
    """The acting user's role does not allow this."""
