"""The error services raise when a request is refused: its message is for the person who asked."""


class TrainingActionRefused(Exception):
    """A training write was refused; ``str(exc)`` says why and what to do instead.

    ``code`` names the kind of refusal for callers that answer programs (the
    xAPI endpoint): "not_assigned" (the default), "already_recorded", "future".
    """

    def __init__(self, message: str, *, code: str = "not_assigned"):
        super().__init__(message)
        self.code = code
