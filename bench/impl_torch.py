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


def _resnet18() -> torch.nn.Module:
    nn = torch.nn

    class Basic(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.proj = None
            if stride != 1 or cin != cout:
                self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.b1(self.c1(x)))
            y = self.b2(self.c2(y))
            return torch.relu(y + (self.proj(x) if self.proj is not None else x))

    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Basic(cin, width, stride), Basic(width, width, 1)]
        cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)


if harness.selected("W5"):
    import numpy as np

    torch.manual_seed(0)
    rnet = _resnet18()
    rx = torch.from_numpy(harness.fixed_data((32, 3, 32, 32)))
    ry = torch.from_numpy(np.random.RandomState(0).randint(0, 10, size=32))
    ropt = torch.optim.SGD(rnet.parameters(), lr=0.1, momentum=0.9)
    rloss = torch.nn.CrossEntropyLoss()

    def rinfer(n: int) -> None:
        rnet.eval()
        with torch.inference_mode():
            for _ in range(n):
                rnet(rx)

    def rtrain(n: int) -> None:
        rnet.train()
        for _ in range(n):
            ropt.zero_grad(set_to_none=True)
            rloss(rnet(rx), ry).backward()
            ropt.step()

    R["W5.resnet18_infer.eager"] = harness.measure(rinfer, 6, 2, unit="per_s", work=32.0)
    R["W5.resnet18_train.eager"] = harness.measure(rtrain, 4, 2, unit="per_s", work=32.0)

if harness.selected("W6"):
    import time

    import numpy as np

    def latency(net: torch.nn.Module, shape: tuple) -> dict:
        net.eval()
        x = torch.from_numpy(harness.fixed_data(shape))
        with torch.inference_mode():
            for _ in range(200):
                net(x)
            blocks = []
            for _ in range(3):
                harness.wait_for_idle()
                times = []
                for _ in range(2000):
                    t = time.perf_counter()
                    net(x)
                    times.append(time.perf_counter() - t)
                blocks.append(float(np.median(times)) * 1e6)
        blocks.sort()
        return {"value": blocks[1], "unit": "us_per_iter", "runs": blocks}

    mlp6 = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    )
    lenet6 = torch.nn.Sequential(
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
    R["W6.mlp_latency.eager"] = latency(mlp6, (1, 784))
    R["W6.lenet_latency.eager"] = latency(lenet6, (1, 1, 28, 28))

harness.emit("torch", R, {"torch": torch.__version__})
