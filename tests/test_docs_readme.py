"""README promises: it opens with the two set-up commands, and its example is the tested one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S)


def test_readme_opens_with_the_demo_and_test_commands() -> None:
    title, blank, fence, demo, test, end = README.splitlines()[:6]
    assert title.startswith("# ") and blank == ""
    assert (fence, demo, test, end) == ("```shell", "python3 dev.py demo", "python3 dev.py test", "```")


def test_readme_example_is_the_quickstart_module() -> None:
    assert code_blocks("python")[0] == (ROOT / "docs" / "examples" / "quickstart.py").read_text()


def test_readme_links_to_docs_pages_that_exist() -> None:
    for page in re.findall(r"\]\((docs/[^)]+)\)", README):
        assert (ROOT / page).is_file(), page
