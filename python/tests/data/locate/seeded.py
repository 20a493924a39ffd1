"""A seeded training run with dropout and a seedlock named stream: reproducible."""

import seedlock
import torch

torch.set_num_threads(1)
session = seedlock.apply_stage(seedlock.stage_from_env())
aug = session.numpy_generator("augment")
x = torch.randn(64, 8)
y = (x[:, 0] > 0).long()
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 2))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for step in range(8):
    rows = slice(step * 8, step * 8 + 8)
    noise = torch.from_numpy(aug.normal(0, 0.1, size=(8, 8)).astype("float32"))
    loss = torch.nn.functional.cross_entropy(net(x[rows] + noise), y[rows])
    opt.zero_grad()
    loss.backward()
    opt.step()
seedlock.probe("first weights", net[0].weight)
torch.save(net.state_dict(), "out.pt")
