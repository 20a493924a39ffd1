"""What the ledger commands print: seed-reuse findings and the run history table."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from .ledger import Record, Reuse


def reuse_lines(uses: Sequence[Reuse]) -> list[str]:
    """One line per past run that shares this lock's seeds: whether repeating it adds information."""
    lines = []
    for use in uses:
        r = use.record
        if use.adds_no_information:
            lines.append(f"seedlock: stage {use.stage!r} repeats run {r.id} ({r.created}, {r.event}) with the same seeds, "
                         f"code {(r.git_commit or '')[:12]}, inputs and params: it adds no information; use fresh seeds "
                         f"(SEEDLOCK_SEED=generate)")
        else:
            changed = [name for name, same in (("code", use.same_code), ("inputs", use.same_inputs),
                                               ("params", use.same_params)) if not same]
            lines.append(f"seedlock: stage {use.stage!r} uses the seeds of run {r.id} ({r.created}) with different "
                         f"{', '.join(changed)}: fine, the comparison is informative")
    if not uses:
        lines.append("seedlock: no recorded run used these seeds")
    return lines


def adds_no_information(uses: Sequence[Reuse]) -> bool:
    """True when some stage would repeat a past run exactly (what ``--strict`` refuses)."""
    return any(u.adds_no_information for u in uses)


def history_table(records: Sequence[Record]) -> str:
    """The ``seedlock history`` table, one run a row."""
    rows = [("run", "created", "event", "stage", "root seed", "stage seeds", "commit", "ci job")]
    for r in records:
        commit = (r.git_commit or "")[:10] + ("+dirty" if r.git_dirty else "")
        job = str((r.ci or {}).get("job_id") or (r.ci or {}).get("run_id") or "")
        seeds = " ".join(f"{k}={v}" for k, v in r.stage_seeds.items())
        rows.append((str(r.id), r.created, r.event + (f" exit {r.exit_code}" if r.exit_code else ""), r.stage or "",
                     str(r.root_seed), seeds, commit, job))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n" for row in rows)


def history_json(records: Sequence[Record]) -> str:
    import json

    return json.dumps([r.to_dict() for r in records], indent=1) + "\n"
