"""`Cancelled`: what a long computation raises when its cancel() poll says stop (tiled
inference between tiles, the shake engine between steps). A leaf, so the shake and
inference engines share it without either importing the other."""


class Cancelled(Exception):
    """Raised inside a job when its cancel callback says so; nothing is written."""
