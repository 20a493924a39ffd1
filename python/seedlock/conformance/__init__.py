"""The conformance suite: prove that each framework reproduces from a manifest in fresh processes.

``seedlock conformance`` runs every case under ``_conformance/cases`` (or those of ``--frameworks``)
and checks repeatability, sensitivity (a negative control), golden values and cross-binding
identity. Modules: :mod:`.plan` (typed cases and the task plan), :mod:`.execute` (fresh processes
under the shared supervisor), :mod:`.checks`, :mod:`.report`, and :mod:`.runner` tying them together.
"""

from .runner import Options, Report, framework_list, run, selection

__all__ = ["Options", "Report", "framework_list", "run", "selection"]
