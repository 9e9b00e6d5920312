"""The error services raise when a request is refused: its message is for the person who asked."""


class TrainingActionRefused(Exception):
    """A training write was refused; ``str(exc)`` says why and what to do instead."""
