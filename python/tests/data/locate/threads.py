"""A layer whose global mean is a parallel reduction: its result depends on the thread count, which
this program takes from the locator's run number (run 1: one thread, run 2: four)."""

import os

import torch

torch.set_num_threads(1 if os.environ.get("SEEDLOCK_LOCATE_RUN", "1") == "1" else 4)


class Scale(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.basis = torch.nn.Parameter(torch.randn(16, 8192), requires_grad=False)

    def forward(self, h):
        return h * (h.unsqueeze(-1) * self.basis).mean()


net = torch.nn.Sequential(torch.nn.Linear(8, 16), Scale(), torch.nn.Linear(16, 2))
opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
x = torch.randn(32, 8)
y = (x[:, 0] > 0).long()
for step in range(4):
    rows = slice(step * 8, step * 8 + 8)
    loss = torch.nn.functional.cross_entropy(net(x[rows]), y[rows])
    opt.zero_grad()
    loss.backward()
    opt.step()
torch.save(net.state_dict(), "out.pt")
