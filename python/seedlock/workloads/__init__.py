"""Small, real workloads used by the demo, the tests and the conformance suite.

Each is a module run as ``python -m seedlock.workloads.<name>`` in a fresh process (normally under
``seedlock run``) and prints one JSON object with digests of its outputs.
"""
