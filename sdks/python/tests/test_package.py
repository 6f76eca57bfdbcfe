"""The package as shipped: `mypy --strict` is clean over it and its example, its version is
the API's (the crate's, `Cargo.toml`) with a CHANGELOG entry, and the README's Python examples
are `examples/charge.py` and `examples/webhook.py`, which the e2e tests run."""

import re
import subprocess
import sys
from pathlib import Path

import payorch

SDK = Path(__file__).resolve().parent.parent
REPO = SDK.parent.parent


def test_mypy_strict_is_clean() -> None:
    # `strict = true` and the files (the package, the example, the tests) are in
    # pyproject.toml.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary"],
        cwd=SDK, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_version_is_the_apis() -> None:
    cargo = (REPO / "Cargo.toml").read_text()
    package = cargo.split("[package]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M)
    assert match, "no version in Cargo.toml's [package]"
    assert payorch.__version__ == match.group(1)
    changelog = (SDK / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(payorch.__version__)}\b", changelog, re.M), (
        f"CHANGELOG.md has no `## {payorch.__version__}` section")


def test_the_readme_python_examples_are_the_example_files() -> None:
    readme = (REPO / "README.md").read_text()
    integrate = readme.split("\n## Integrate\n", 1)
    assert len(integrate) == 2, "README.md has no `## Integrate` section"
    section = re.split(r"\n## ", integrate[1], maxsplit=1)[0]
    python = section.split("\n### Python\n", 1)
    assert len(python) == 2, "README.md's Integrate section has no `### Python`"
    section = re.split(r"\n##+ ", python[1], maxsplit=1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    examples = [(SDK / "examples" / name).read_text() for name in ("charge.py", "webhook.py")]
    assert blocks == examples, "the ```python blocks under `### Python` are not the examples"
