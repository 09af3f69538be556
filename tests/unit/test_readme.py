"""The README is the front door: every link it gives leads somewhere inside the repo."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_link_in_the_readme_is_a_file_of_the_repo_or_a_web_address():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = LINK.findall(readme)
    assert links, "the README links to nothing: the pattern no longer finds its links"
    for link in links:
        if link.startswith(("http://", "https://", "#")):
            continue
        target = (ROOT / link.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), f"{link} leads out of the repo"
        assert target.exists(), f"{link} leads nowhere"
