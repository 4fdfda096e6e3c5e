"""The tables that hold the embedded index's published copy (embedded/sharing.py writes and reads
them); a Django app of its own, since the embedded backend's package needs the apps loaded."""
