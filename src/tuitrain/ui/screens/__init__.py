"""Screens of the TUI, one per module; modals in their own modules."""
