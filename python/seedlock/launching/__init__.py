"""Starting workloads: ``seedlock run``'s launcher, verify, replicates and their engines.

Imports the layers below it (``records``, ``seeding``, ``spec``), never the public API."""
