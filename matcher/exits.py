"""Exit statuses every command shares: the contract's 0, 1 (a roster breaks a rule) and 2."""

EXIT_OK = 0
EXIT_VIOLATIONS = 1  # `matcher check`: the roster breaks a hard rule
EXIT_BAD_INPUT = 2  # a scenario, roster or option that cannot be read; nothing written
