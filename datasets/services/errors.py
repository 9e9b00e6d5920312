"""Refusals a person can act on; the message says what is wrong and, where it helps, what to do."""


class RegistryActionRefused(Exception):
    """The change is not allowed in the current state of the registry; the message says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class PrivacyBudgetExceeded(RegistryActionRefused):
    """Registering the run would take a dataset past its ε budget and no DPO override covers it."""


class ShareLinkUnavailable(RegistryActionRefused):
    """The share link is revoked, expired or used up; ``state`` says which (the link answers 410)."""

    def __init__(self, message: str, *, state: str):
        super().__init__(message)
        self.state = state
