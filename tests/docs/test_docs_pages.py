"""Every documentation page is reachable: in the toctree of docs/index.rst and in README's docs list."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(path.stem for path in DOCS.glob("*.rst") if path.stem != "index")


def test_every_page_is_in_the_toctree() -> None:
    index = (DOCS / "index.rst").read_text()
    toctree = index[index.index(".. toctree::") :]
    listed = set(re.findall(r"^   (\w+)$", toctree, re.MULTILINE))
    assert set(PAGES) <= listed


def test_every_page_is_in_the_readme_docs_list() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    listed = set(re.findall(r"\]\(docs/(\w+)\.rst\)", readme))
    assert set(PAGES) <= listed
