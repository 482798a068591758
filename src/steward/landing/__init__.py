"""The encrypted landing area and quarantine: submitted files and held-back records at rest."""

from steward.landing.area import Landing
from steward.landing.objects import EncryptedObjectError, EncryptedObjectStore, LandedObject
from steward.landing.quarantine import Quarantine

__all__ = ["EncryptedObjectError", "EncryptedObjectStore", "LandedObject", "Landing", "Quarantine"]
