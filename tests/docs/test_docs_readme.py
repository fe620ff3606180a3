"""README promises: it opens with the two set-up commands, and its example is the tested one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


def test_readme_lists_each_docs_page_once() -> None:
    listing = README[README.index("## Documentation") : README.index("## Development")]
    pages = re.findall(r"\]\((docs/\w+\.rst)\)", listing)
    assert len(pages) == len(set(pages))


def test_the_install_instructions_name_this_release_not_pypis() -> None:
    from djangochannelsrestframework import __version__

    wheel = f"dist/djangochannelsrestframework-{__version__}-py3-none-any.whl"
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    for text in (README, index):
        assert "installs DCRF 1.3.0" in text
        assert "python3 -m pip wheel --no-deps --wheel-dir dist ." in text
        assert wheel in text
        assert f"``{__version__}``" in text or f"`{__version__}`" in text
    assert f'pip install "{wheel}[demo,redis]"' in (ROOT / "docs" / "serving.rst").read_text(encoding="utf-8")
