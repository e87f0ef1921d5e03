"""The home page: what needs each role's attention, composed read-only from the areas' public faces.

Above the areas and below the composition root: it reads every area it shows (through their
``summary`` modules and services) and no area reads it. ``page`` gathers what a role's page shows;
``web`` serves it at ``/``.
"""

__all__ = ["page", "web"]
