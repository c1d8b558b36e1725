"""The project's promises about itself: CI runs the README's test command, nothing secret."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    return re.findall(r"```bash\n(python3 -m venv[^\n]+)\n```", (ROOT / "README.md").read_text())


def test_ci_runs_exactly_the_readme_test_command():
    start, test = _readme_commands()
    assert "streamlit run streamlit_app.py" in start
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci


def test_requirements_are_pinned():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-e"):
            assert "==" in line, line


def test_no_secrets_file_is_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    # A failing git prints nothing on stdout: an empty list would pass every check below.
    assert tracked.returncode == 0, tracked.stderr
    files = tracked.stdout.splitlines()
    assert "README.md" in files and "requirements.txt" in files
    assert ".streamlit/secrets.toml" not in files
    assert not any(name.endswith((".sqlite3", ".db")) for name in files)


def test_streamlit_runs_no_full_garbage_collection_after_every_run():
    """Streamlit's default gc.collect(2) after each script run cost 0.5-1.4 s between a pick in
    the search fragment and the card (benchmarks/browser.py); the config turns it off."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
