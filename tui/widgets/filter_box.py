"""The filter line above a list: an Input whose growing text repaints itself without laying out the screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterBox(Input):
    """Textual's Input sets its virtual size (text width + 1) on every keystroke, and a widget's virtual size is a
    layout-changing reactive: each keystroke re-laid-out the whole screen (list, details, footer keys), most of a
    filter keystroke's cost. This box has a fixed size from CSS, and horizontal scrolling reads the virtual size
    directly, so a repaint is all a new value needs."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
