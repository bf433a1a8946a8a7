"""Everything that needs Anki's window: menu, operations, watcher, dialogs.

Only :mod:`.setup` is imported by the add-on's ``__init__``; the core
(``polar/``, ``render/``, ``sync/``) never imports from here.
"""
