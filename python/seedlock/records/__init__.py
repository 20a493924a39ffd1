"""What a run was: provenance, the start-of-run check, metrics, statistics over replicates.

With ``ledger``; imports ``spec``, ``seeding`` and ``frameworks`` only."""
