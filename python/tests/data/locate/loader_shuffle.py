"""A DataLoader shuffling with a generator seeded by the OS: the batches differ from step 0."""

import os

import torch
from torch.utils.data import DataLoader, TensorDataset

torch.set_num_threads(1)
x = torch.randn(64, 8)
y = (x[:, 0] > 0).long()
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
order = torch.Generator().manual_seed(int.from_bytes(os.urandom(7), "little"))
for xb, yb in DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=order):
    loss = torch.nn.functional.cross_entropy(net(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
torch.save(net.state_dict(), "out.pt")
