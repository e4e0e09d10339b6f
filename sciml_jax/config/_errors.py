"""The one error type for bad configuration."""


class ConfigError(ValueError):
    """A config file, key or value that cannot be run.

    The message is one line naming the file, the key, the value given and what is
    allowed, so that the CLI can print it without a traceback.
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        where = f"{source}: " if source else ""
        where += f"key '{key}': " if key else ""
        super().__init__(" ".join(f"{where}{message}".split()))
