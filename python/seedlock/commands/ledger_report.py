"""What the ledger commands print: the run history, one run a line (table or JSON)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..ledger import RunRecord

SHORT = 10  # characters of run and pipeline ids shown; any unique prefix is accepted by `rerun`


def history_table(records: Sequence[RunRecord]) -> str:
    """The ``seedlock history`` table: one line per run; for a stage run, the seed of that stage."""
    rows = [("run", "pipeline", "created", "event", "stage", "exit", "root seed", "stage seeds", "commit", "ci job")]
    for r in records:
        commit = (r.git_commit or "")[:10] + ("+dirty" if r.git_dirty else "")
        seeds = dict(r.stage_seeds) if r.stage is None else {r.stage: r.stage_seeds.get(r.stage)}
        rows.append(
            (
                r.run[:SHORT],
                r.pipeline[:SHORT],
                r.created,
                r.event,
                r.stage or "",
                "" if r.exit_code is None else str(r.exit_code),
                str(r.root_seed),
                " ".join(f"{k}={v}" for k, v in seeds.items()),
                commit,
                r.ci_job or "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n" for row in rows)


def history_json(records: Sequence[RunRecord]) -> str:
    import json

    return json.dumps([r.to_dict() for r in records], indent=1) + "\n"
