"""Augmentation from the named stream "augment"; before step 4 the program draws from it once in the
locator's run 1 and twice in run 2 (as a draw count that depends on anything outside the lock would)."""

import os

import seedlock
import torch

torch.set_num_threads(1)
session = seedlock.apply_stage(seedlock.stage_from_env())
aug = session.numpy_generator("augment")
x = torch.randn(64, 8)
y = (x[:, 0] > 0).long()
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(8):
    if step == 4:
        aug.random(int(os.environ.get("SEEDLOCK_LOCATE_RUN", "1")))
    rows = slice(step * 8, step * 8 + 8)
    noise = torch.from_numpy(aug.normal(0, 0.1, size=(8, 8)).astype("float32"))
    loss = torch.nn.functional.cross_entropy(net(x[rows] + noise), y[rows])
    opt.zero_grad()
    loss.backward()
    opt.step()
torch.save(net.state_dict(), "out.pt")
