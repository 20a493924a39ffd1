"""Seeding one process: applying a stage, streams, workers, epochs, checkpoints, auto-seeding.

Imports ``spec`` and ``frameworks`` only."""
