"""PyTorch CPU's side of W1 and W2."""

import harness  # noqa: I001

import torch

torch.set_num_threads(harness.THREADS)
R = {}
if harness.selected("W1"):
    a = torch.from_numpy(harness.fixed_data((16,)))
    b = torch.from_numpy(harness.fixed_data((16,), 1))
    c = torch.from_numpy(harness.fixed_data((16,), 2))

    def add(n: int) -> None:
        for _ in range(n):
            a + b

    def chain(n: int) -> None:
        for _ in range(n):
            a * b + c

    R["W1.add.eager"] = harness.measure(add, 20000, 1000)
    R["W1.chain.eager"] = harness.measure(chain, 20000, 1000)

if harness.selected("W2"):
    for n, iters, warm in ((1024, 10, 2), (2048, 3, 1)):
        x = torch.from_numpy(harness.fixed_data((n, n)))
        y = torch.from_numpy(harness.fixed_data((n, n), 1))
        out = torch.empty((n, n))

        def mm(k: int, x=x, y=y, out=out) -> None:
            for _ in range(k):
                torch.mm(x, y, out=out)

        R[f"W2.gemm{n}.dot"] = harness.measure(mm, iters, warm, unit="per_s", work=2 * n**3 / 1e9)

if harness.selected("W3"):
    import numpy as np

    net = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = torch.from_numpy(harness.fixed_data((128, 784)))
    y = torch.from_numpy(np.random.RandomState(0).randint(0, 10, size=128))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(n: int) -> None:
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x), y).backward()
            opt.step()

    R["W3.mlp_train.eager"] = harness.measure(step, 50, 10, unit="per_s", work=1.0)

if harness.selected("W4"):
    import numpy as np

    lenet = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120),
        torch.nn.ReLU(),
        torch.nn.Linear(120, 84),
        torch.nn.ReLU(),
        torch.nn.Linear(84, 10),
    )
    lopt = torch.optim.SGD(lenet.parameters(), lr=0.1, momentum=0.9)
    lx = torch.from_numpy(harness.fixed_data((64, 1, 28, 28)))
    ly = torch.from_numpy(np.random.RandomState(0).randint(0, 10, size=64))
    lloss = torch.nn.CrossEntropyLoss()

    def lstep(n: int) -> None:
        for _ in range(n):
            lopt.zero_grad(set_to_none=True)
            lloss(lenet(lx), ly).backward()
            lopt.step()

    R["W4.lenet_train.eager"] = harness.measure(lstep, 100, 10, unit="per_s", work=1.0)

harness.emit("torch", R, {"torch": torch.__version__})
