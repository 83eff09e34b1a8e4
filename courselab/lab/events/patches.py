"""TRANSITION: patches still made by the legacy module's install(); to be declared here."""

from __future__ import annotations

from courselab.lab.patching import Patches

patches = Patches(__name__)
