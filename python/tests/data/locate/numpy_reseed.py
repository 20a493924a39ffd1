"""Augmentation from numpy's global generator, which the program re-seeds from the clock before step 5."""

import time

import numpy as np
import torch

torch.set_num_threads(1)
x = torch.randn(64, 8)
y = (x[:, 0] > 0).long()
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(8):
    if step == 5:
        np.random.seed(time.time_ns() % 2**32)
    rows = slice(step * 8, step * 8 + 8)
    noise = torch.from_numpy(np.random.normal(0, 0.1, size=(8, 8)).astype("float32"))
    loss = torch.nn.functional.cross_entropy(net(x[rows] + noise), y[rows])
    opt.zero_grad()
    loss.backward()
    opt.step()
torch.save(net.state_dict(), "out.pt")
