"""Documents and the spec's rules: manifests, locks, settings, derivation, errors, JSON, schemas.

The lowest layer: it imports no other part of seedlock."""
