"""The lab's EventBridge extension: rules deliver to Lambda targets; ``rate()`` and ``cron()`` rules fire.

Patches in :mod:`courselab.lab.events.patches`; rule delivery in :mod:`courselab.lab.events.targets`;
schedule expressions in :mod:`courselab.lab.events.expressions`; the schedule clock and the firing
in :mod:`courselab.lab.events.schedules`, run by :mod:`courselab.lab.events.provider` on the lab's
scheduler. Importing this package imports no moto.
"""
