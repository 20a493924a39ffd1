"""The MLP on CUDA under the stage's deterministic settings, including ``index_add_``, which is
nondeterministic on CUDA without them (conformance workload). Exits 77 when there is no GPU."""

from __future__ import annotations

import sys

SKIP = 77


def main() -> None:
    import torch

    from seedlock.workloads._common import out_dir, report_meta, save

    out = out_dir()
    if not torch.cuda.is_available():
        print("skipped: no CUDA device (torch.cuda.is_available() is False)")
        sys.exit(SKIP)
    import seedlock

    report = seedlock.apply_from_env(strict=True).report
    device = torch.device("cuda")
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(256, 8)
    ).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(4096, 64, device=device)
    y = torch.randint(0, 8, (4096,), device=device)
    index = torch.randint(0, 64, (4096,), device=device)
    acc = torch.zeros(64, 8, device=device)
    for step in range(100):
        batch = slice((step * 256) % 4096, (step * 256) % 4096 + 256)
        opt.zero_grad()
        logits = model(x[batch])
        torch.nn.functional.cross_entropy(logits, y[batch]).backward()
        opt.step()
        # Atomic adds: results differ run to run unless deterministic algorithms are on.
        acc.index_add_(0, index[batch], logits.detach())
    arrays = {f"w_{k.replace('.', '_')}": v.detach().cpu().numpy() for k, v in sorted(model.state_dict().items())}
    arrays["index_add"] = acc.cpu().numpy()
    save(
        out,
        arrays,
        {
            **report_meta(report),
            "device": torch.cuda.get_device_name(0),
            "versions": {"torch": torch.__version__, "cuda": torch.version.cuda},
        },
    )


if __name__ == "__main__":
    main()
