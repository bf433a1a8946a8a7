"""A dialog's buttons side by side when they fit, else one above the other,
each as wide as the window: in a row, German's labels alone need up to
590 px, and the add-on's windows must go down to 400 px in every language."""

from __future__ import annotations

from aqt.qt import QDialogButtonBox, QSizePolicy, Qt

SPACING = 12  # (between buttons in a row, roughly what the styles use)


def fit(buttons: QDialogButtonBox, room: int) -> None:
    """Lay ``buttons`` out for ``room`` pixels of width (the window's, less
    its margins); call on every resize and after adding a button."""
    widths = [b.sizeHint().width() for b in buttons.buttons()]
    if not widths:
        return
    buttons.setMinimumWidth(max(widths))  # (not the row's: the window may be narrower)
    row = sum(widths) + SPACING * (len(widths) - 1)
    wanted = Qt.Orientation.Horizontal if room >= row else Qt.Orientation.Vertical
    if buttons.orientation() != wanted:
        buttons.setOrientation(wanted)
    # One above the other: each as wide as the window (not a column of odd
    # widths at the left), and the box no taller than its buttons (the room
    # below goes to the window's content, not to blank space).
    policy = QSizePolicy.Policy
    stacked = wanted == Qt.Orientation.Vertical
    for button in buttons.buttons():
        button.setSizePolicy(policy.Expanding if stacked else policy.Minimum, policy.Fixed)
    if stacked:  # (Qt's own for a column: fixed width, all the height there is)
        buttons.setSizePolicy(policy.Expanding, policy.Fixed)
