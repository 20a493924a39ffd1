"""An MLP whose encoder.2 adds noise from a generator seeded by the OS from its 8th call on (step 7)."""

import os

import torch

torch.set_num_threads(1)


class Noisy(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.gen = torch.Generator().manual_seed(int.from_bytes(os.urandom(7), "little"))

    def forward(self, x):
        self.calls += 1
        return x + 0.1 * torch.randn(x.shape, generator=self.gen) if self.calls > 7 else x


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), Noisy())
        self.head = torch.nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.encoder(x))


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(64, 8)
y = (x[:, 0] > 0).long()
for step in range(12):
    rows = slice((step % 8) * 8, (step % 8) * 8 + 8)
    loss = torch.nn.functional.cross_entropy(net(x[rows]), y[rows])
    opt.zero_grad()
    loss.backward()
    opt.step()
torch.save(net.state_dict(), "out.pt")
