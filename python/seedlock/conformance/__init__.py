"""The conformance suite: prove that each framework reproduces from a manifest in fresh processes.

``seedlock conformance`` runs every case under ``_conformance/cases`` (or those of ``--frameworks``)
and checks repeatability, sensitivity (a negative control), golden values and cross-binding
identity; see :mod:`seedlock.conformance.runner`.
"""

from .runner import Options, Report, required_frameworks, run

__all__ = ["Options", "Report", "required_frameworks", "run"]
