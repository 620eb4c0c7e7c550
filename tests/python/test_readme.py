"""The README's Python example runs as written (a new user's first contact with braid)."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README.md has no python example"
    monkeypatch.chdir(tmp_path)  # the example writes a file
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})  # noqa: S102
    out = capsys.readouterr().out
    assert "NDArray" in out
