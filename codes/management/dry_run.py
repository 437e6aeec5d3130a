class DryRunRollback(Exception):
    """Raised inside a command's transaction to undo a dry run."""
