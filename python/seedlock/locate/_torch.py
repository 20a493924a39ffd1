"""torch instrumentation with global hooks, so that an unmodified program is observed.

* module forward pre-hook: a call at depth 0 is the top-level model; its tensor arguments are the
  ``input-batch``; the module's qualified names are learnt from it (a DDP / DataParallel wrapper is
  looked through: ``fc1``, not ``module.fc1``);
* module forward hook: every module's ``forward-output``, in execution order;
* optimizer step pre-hook: each parameter's ``gradient``; post-hook: each ``parameter``, then the step ends.

Coarse pass: each tensor costs a checksum of its bit pattern (sum and position-weighted sum of the
bits read as integers, so any changed bit or moved element shows), computed on the tensor's device and
read back once per step. Fine pass: only at ``$SEEDLOCK_LOCATE_STEP``, every tensor with its values.
"""

from __future__ import annotations

from typing import Any

from ._record import Recorder

_BITS: dict[Any, Any] = {}
_ARANGE: dict[tuple[int, Any], Any] = {}


class TorchHooks:
    def __init__(self, rec: Recorder) -> None:
        import torch

        self.torch = torch
        self.rec = rec
        self.depth = 0
        self.names: dict[int, str] = {}  # id(module) -> qualified name
        self.params: dict[int, str] = {}  # id(parameter) -> qualified name
        self.pending: list[tuple[str, str, Any]] = []  # coarse: (kind, name, checksum tensor) of this step
        _BITS.update(
            {
                torch.float32: torch.int32,
                torch.float64: torch.int64,
                torch.float16: torch.int16,
                torch.bfloat16: torch.int16,
            }
        )

    def install(self) -> None:
        from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
        from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

        register_module_forward_pre_hook(self.pre_forward)
        register_module_forward_hook(self.post_forward)
        register_optimizer_step_pre_hook(self.pre_step)
        register_optimizer_step_post_hook(self.post_step)

    # -- naming -----------------------------------------------------------------------------------
    def _learn(self, root: Any) -> None:
        inner = getattr(root, "module", None)
        top = (
            inner if type(root).__name__ in ("DistributedDataParallel", "DataParallel") and inner is not None else root
        )
        for name, module in top.named_modules():
            self.names.setdefault(id(module), name or type(module).__name__)
        self.names.setdefault(id(root), type(top).__name__)
        for name, p in top.named_parameters():
            self.params.setdefault(id(p), name)

    def name(self, module: Any) -> str:
        return self.names.get(id(module)) or type(module).__name__

    # -- hooks ------------------------------------------------------------------------------------
    def pre_forward(self, module: Any, args: Any) -> None:
        if self.depth == 0:
            self.rec.stepping = True
            if id(module) not in self.names:
                self._learn(module)
            self.rec.generators("forward of " + self.name(module))
            for i, t in enumerate(_tensors(args)):
                self.record("input-batch", self.name(module), f"{self.name(module)} input {i}", t)
        self.depth += 1

    def post_forward(self, module: Any, args: Any, output: Any) -> None:
        self.depth = max(0, self.depth - 1)
        name = self.name(module)
        for i, t in enumerate(_tensors(output)):
            self.record("forward-output", name, name if i == 0 else f"{name} output {i}", t)

    def pre_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.rec.stepping = True
        for p in _parameters(optimizer):
            if p.grad is not None:
                name = self.params.get(id(p), f"param{id(p)}")
                self.record("gradient", name.rpartition(".")[0], name, p.grad)

    def post_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        for p in _parameters(optimizer):
            name = self.params.get(id(p), f"param{id(p)}")
            self.record("parameter", name.rpartition(".")[0], name, p)
        self.rec.generators("end of step")
        self.flush()
        self.rec.end_step()

    def record(self, kind: str, module: str, name: str, t: Any) -> None:
        rec = self.rec
        if rec.fine is None:
            self.pending.append((kind, name, self.checksum(t)))
        elif rec.step == rec.fine:
            rec.tensor(kind, module, name, t)

    def flush(self) -> None:
        """Read the step's checksums back in one transfer and fold them into the step's digests."""
        if not self.pending:
            return
        torch = self.torch
        sums = torch.stack([c for _, _, c in self.pending]).cpu().tolist() if self.pending else []
        for (kind, name, _), pair in zip(self.pending, sums, strict=False):
            self.rec.fold(kind, name, pair)
        self.pending = []

    def checksum(self, t: Any) -> Any:
        torch = self.torch
        with torch.no_grad():
            flat = t.detach()
            if flat.is_complex():
                flat = torch.view_as_real(flat)
            flat = flat.reshape(-1)
            bits = _BITS.get(flat.dtype)
            words = (flat.view(bits) if bits is not None else flat).to(torch.int64)
            n = words.numel()
            key = (n, words.device)
            weights = _ARANGE.get(key)
            if weights is None:
                weights = _ARANGE[key] = torch.arange(1, n + 1, dtype=torch.int64, device=words.device)
            shape = torch.tensor(
                list(t.shape) + [0] * (4 - t.dim()) if t.dim() <= 4 else [n, 0, 0, 0],
                dtype=torch.int64,
                device=words.device,
            )
            return torch.cat([torch.stack([words.sum(), (words * weights).sum()]), shape[:4]])


def _tensors(value: Any) -> list[Any]:
    """The tensors in a forward's arguments or output (tuples, lists, dicts, in order)."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _parameters(optimizer: Any) -> list[Any]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def install(rec: Recorder) -> None:
    hooks = TorchHooks(rec)
    hooks.install()
    rec.flushers.append(hooks.flush)  # a forward after the last optimizer step (evaluation) is kept too
