"""Refusals a person can act on; the message says what is wrong and what to do."""


class ConsentActionRefused(Exception):
    """The change is not allowed in the current state of the records; the message says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
