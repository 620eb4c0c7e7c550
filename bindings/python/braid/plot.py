"""Training curves as a picture: ``braid.plot.plot_curves('curves.csv', 'curves.png')`` (needs matplotlib)."""

from __future__ import annotations

import csv


def plot_curves(csv_path: str, png_path: str, title: str = "training") -> str:
    """Draws loss and accuracy per epoch from a CSVLogger file into a PNG; returns png_path.

    Columns named ``loss``/``val_loss`` go to the left panel, ``accuracy``/``val_accuracy`` (or any other metric
    columns) to the right one.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plot_curves needs matplotlib: pip install matplotlib") from e
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"plot_curves: '{csv_path}' has no rows")
    epochs = [int(r["epoch"]) for r in rows]
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 4))
    for key in rows[0]:
        if key in ("epoch", "seconds"):
            continue
        try:
            values = [float(r[key]) for r in rows]
        except ValueError:
            continue
        ax = ax_loss if key.endswith("loss") else ax_metric
        ax.plot(epochs, values, marker="o", label=key)
    for ax, name in ((ax_loss, "loss"), (ax_metric, "metric")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
