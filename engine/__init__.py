"""zerogo's playing core: rules, features, evaluator, search and time control (no torch)."""
