"""What users install, tested where they are: the built wheel, on every corner of the supported ranges.

    nox -s dist              # build the wheel and sdist into dist/ and check their file lists
    nox -s "tests(oldest)"   # the suite against the wheel with the oldest supported versions
    nox -s dcrf_project      # a DCRF 1.3 project (pinned channels 4.1.0) run on DCRF, then on ours
    nox -s "dcrf_suite(oldest)"  # DCRF 1.3.0's own tests (from its sdist on PyPI) against the wheel
    nox -s dcrf_names        # (not in CI) rewrite tests/support/dcrf13_names/dcrf-1.3.0-names.json from DCRF 1.3.0

``.ci/run`` runs every session (``python3 dev.py matrix``).  The test sessions copy the suite into a
temporary folder without the package, so ``import djangochannelsrestframework`` can only find the
installed wheel (``tests/conftest.py`` checks this when ``DCRF_EXPECT_INSTALLED=1``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import nox

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
PACKAGE = "djangochannelsrestframework"
#: What the suite needs beside itself: tests import the docs' examples and the demo project.
SUITE_FILES = ("tests", "docs", "example", "README.md", "pyproject.toml", "dev.py")
DCRF_PROJECT = ROOT / "tests" / "support" / "projects" / "dcrf13_project"
#: The DCRF release we replace: its sdist on PyPI carries its test modules.
DCRF_RELEASE = "1.3.0"
#: How many of those tests there are; the dcrf_suite session wants exactly this many passed.
DCRF_SUITE_TESTS = 52
#: What the sdist's tests import but the sdist lacks, written for this project: file here -> file in
#: the suite's ``tests`` package.
DCRF_SUITE_SUPPORT = ROOT / "tests" / "support" / "projects" / "dcrf13_suite"
DCRF_SUITE_FILES = {
    "settings_conftest.py": "conftest.py",
    "models.py": "models.py",
    "communicator.py": "communicator.py",
}
#: The test requirements DCRF 1.3.0 declares (its setup.py's ``tests`` extra, without coverage).
DCRF_SUITE_REQUIREMENTS = ["pytest>=8.3.3", "pytest-django>=4.9.0", "pytest-asyncio>=0.24.0", "daphne>=4.1"]
DCRF_NAMES = ROOT / "tests" / "support" / "dcrf13_names"

nox.options.sessions = ["dist", "tests", "dcrf_project", "dcrf_suite"]
nox.options.reuse_existing_virtualenvs = False
# uv (from the ci extra) creates and fills each session's environment in seconds; plain virtualenv
# + pip is the fallback where uv is missing.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True

#: The corners of the supported ranges in pyproject.toml ("newest" lets pip choose the newest).
#: "oldest" installs from the sdist, the others from the wheel, so both artefacts are exercised.
CORNERS: dict[str, list[str]] = {
    "oldest": [
        "Django==4.2.0",
        "channels==4.1.0",
        "djangorestframework==3.15.0",
        "channels_redis==4.2.0",
        "orjson==3.9.0",
        "django-filter==24.1",
        "daphne==4.1.0",
    ],
    "django4.2-newest": ["Django~=4.2.0", "channels~=4.3.0", "djangorestframework~=3.16.0"],
    "django5.2-channels4.1": ["Django~=5.2.0", "channels==4.1.0", "djangorestframework==3.16.0"],
    "newest": ["redis>=8"],
    # redis-py 7 is what most channels_redis projects still run; 8 changed the socket timeout (dcrf.W004).
    "newest-redis7": ["redis>=7,<8"],
}


def built(suffix: str) -> Path:
    """The one artefact in dist/ ending with ``suffix`` (the dist session makes it)."""
    found = sorted(DIST.glob(f"{PACKAGE}-*{suffix}"))
    if len(found) != 1:
        raise RuntimeError(f"expected one {suffix} in {DIST}, found {[p.name for p in found]}: run `nox -s dist`")
    return found[0]


def tracked_package_files() -> set[str]:
    """The package's files as git knows them: each must be inside both artefacts."""
    listing = subprocess.run(
        ["git", "ls-files", PACKAGE], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    return {name for name in listing if not name.endswith(".pyc")}


def check_contents(kind: str, names: set[str], expected: set[str]) -> None:
    """Fail unless ``names`` (paths inside an artefact) hold every expected file and nothing of ours beside it."""
    missing = sorted(expected - names)
    if missing:
        raise RuntimeError(f"the {kind} lacks {missing}")
    for required in (f"{PACKAGE}/py.typed", f"{PACKAGE}/browsable/templates/{PACKAGE}/browsable_api.html"):
        if required not in names:
            raise RuntimeError(f"the {kind} lacks {required}")
    stray = sorted(
        name
        for name in names
        if name.split("/")[0] in {"tests", "docs", "example", "benchmarks"} or name.endswith((".pyc", "conftest.py"))
    )
    if stray:
        raise RuntimeError(f"the {kind} carries files users must not get: {stray}")


@nox.session(python=False)
def dist(session: nox.Session) -> None:
    """Build the wheel and sdist from this checkout and check what each carries."""
    shutil.rmtree(DIST, ignore_errors=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    session.run(sys.executable, "-m", "build", "--outdir", str(DIST), str(ROOT))
    expected = tracked_package_files()
    wheel = built(".whl")
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = {name for name in archive.namelist() if not name.startswith(f"{PACKAGE}-")}
    check_contents("wheel", wheel_names, expected)
    sdist = built(".tar.gz")
    with tarfile.open(sdist) as archive:
        top = sdist.name.removesuffix(".tar.gz") + "/"
        sdist_names = {m.name.removeprefix(top) for m in archive.getmembers() if m.isfile()}
    sdist_names = {name for name in sdist_names if not name.startswith(f"{PACKAGE}.egg-info/")}
    check_contents("sdist", sdist_names, expected | {"LICENSE", "README.md", "pyproject.toml"})
    session.log(f"wheel {wheel.name}: {len(wheel_names)} files")
    for name in sorted(wheel_names):
        session.log(f"  {name}")
    session.log(f"sdist {sdist.name}: {len(sdist_names)} files")


def show_versions(session: nox.Session) -> None:
    """Print what the session's environment holds (uv environments have no pip)."""
    session.run(
        "python",
        "-c",
        "import importlib.metadata as m; print(*sorted(f'{d.name}=={d.version}' for d in m.distributions()))",
        silent=False,
    )


def copy_suite(session: nox.Session) -> Path:
    """A copy of the suite with no package folder beside it, so only the installed package imports."""
    target = Path(session.create_tmp()) / "suite"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "_build", "node_modules", "*.sqlite3", ".hypothesis")
    for name in SUITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    if (target / PACKAGE).exists():
        raise RuntimeError("the suite copy must not contain the package")
    return target


@nox.session
@nox.parametrize("corner", list(CORNERS), ids=list(CORNERS))
def tests(session: nox.Session, corner: str) -> None:
    """The whole suite against the installed wheel (sdist for "oldest") with one corner's versions."""
    artefact = built(".tar.gz") if corner == "oldest" else built(".whl")
    session.install(f"{PACKAGE}[test] @ {artefact.as_uri()}", *CORNERS[corner])
    show_versions(session)
    suite = copy_suite(session)
    selection = corner_selection(suite, corner)  # before chdir: ``suite`` may be a relative path
    session.chdir(suite)
    env = {"DCRF_EXPECT_INSTALLED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-q", *selection, *session.posargs, env=env)


#: Corners that differ from "newest" only in redis-py: the suite's files that use Redis run there.
REDIS_ONLY_CORNERS = {"newest-redis7"}
#: Multi-process fault and race scenarios (minutes each, our own code under load, not version
#: differences): the checkout's run and the oldest and newest corners run them, the middle corners
#: leave them out so CI stays well inside its time limit.
PROCESS_SCENARIOS = (
    "tests/fault/test_fault_fanout_recovery.py",
    "tests/observer/test_observer_subscribe_race.py",
    "tests/fault/test_redis_socket_timeout.py",
)


def corner_selection(suite: Path, corner: str) -> list[str]:
    """The pytest arguments that choose which of the suite's tests run at ``corner``."""
    if corner in REDIS_ONLY_CORNERS:
        files = sorted((suite / "tests").rglob("test_*.py"))
        return [str(path.relative_to(suite)) for path in files if "redis" in path.read_text().lower()]
    if corner in {"oldest", "newest"}:
        return []
    return [f"--ignore={name}" for name in PROCESS_SCENARIOS]


@nox.session
@nox.parametrize("package", ["dcrf-1.3.0", "ours"], ids=["dcrf-1.3.0", "ours"])
def dcrf_project(session: nox.Session, package: str) -> None:
    """A project written for DCRF 1.3 with its own pins: its tests pass on DCRF and on our wheel."""
    requirements = (DCRF_PROJECT / "requirements.txt").read_text().splitlines()
    pins = [line for line in requirements if line.strip() and not line.startswith("#")]
    if package == "ours":
        pins = [pin for pin in pins if not pin.startswith(PACKAGE)] + [f"{PACKAGE} @ {built('.whl').as_uri()}"]
    session.install(*pins)
    show_versions(session)
    project = Path(session.create_tmp()) / "dcrf13_project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(DCRF_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    session.chdir(project)
    session.run("python", "manage.py", "test", "-v", "2", env={"PYTHONDONTWRITEBYTECODE": "1"})


def dcrf_sdist(session: nox.Session) -> Path:
    """DCRF's sdist from the package index (downloaded once into nox's cache folder)."""
    folder = Path(session.cache_dir) / f"dcrf-{DCRF_RELEASE}-sdist"
    name = f"{PACKAGE}-{DCRF_RELEASE}.tar.gz"
    if not (folder / name).is_file():
        # nox's own interpreter has pip (uv environments have none); only the sdist, never a wheel.
        requirement = f"{PACKAGE}=={DCRF_RELEASE}"
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--dest", str(folder)]
        session.run(*pip, requirement, external=True)
    if not (folder / name).is_file():
        session.error(f"pip download left no {name} in {folder}")
    return folder / name


def dcrf_suite_folder(session: nox.Session, sdist: Path) -> Path:
    """A folder with the sdist's ``setup.cfg`` and ``tests/test_*.py`` only (never its package),
    completed with our support files."""
    target = Path(session.create_tmp()).resolve() / "dcrf-suite"
    shutil.rmtree(target, ignore_errors=True)
    (target / "tests").mkdir(parents=True)
    top = sdist.name.removesuffix(".tar.gz") + "/"
    modules = 0
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            path = member.name.removeprefix(top)
            folder, _, filename = path.rpartition("/")
            wanted = path == "setup.cfg" or (
                folder == "tests" and filename.startswith("test_") and path.endswith(".py")
            )
            if not (wanted and member.isfile()):
                continue
            source = archive.extractfile(member)
            assert source is not None
            (target / path).write_bytes(source.read())
            modules += path.startswith("tests/")
    if not modules:
        session.error(f"{sdist.name} holds no tests/test_*.py")
    (target / "tests" / "__init__.py").write_text("")
    for ours, theirs in DCRF_SUITE_FILES.items():
        shutil.copy2(DCRF_SUITE_SUPPORT / ours, target / "tests" / theirs)
    return target


def suite_counts(junit: Path) -> dict[str, int]:
    """Passed, failed, errors and skipped from pytest's JUnit XML report."""
    root = ElementTree.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = {
        key: sum(int(suite.get(key, 0)) for suite in suites) for key in ("tests", "failures", "errors", "skipped")
    }
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return {"passed": passed, "failed": counts["failures"], "errors": counts["errors"], "skipped": counts["skipped"]}


@nox.session
@nox.parametrize("corner", list(CORNERS), ids=list(CORNERS))
def dcrf_suite(session: nox.Session, corner: str) -> None:
    """DCRF 1.3.0's own tests against the installed wheel (sdist for "oldest") with one corner's
    versions: exactly 52 passed, nothing failed or skipped."""
    artefact = built(".tar.gz") if corner == "oldest" else built(".whl")
    session.install(*DCRF_SUITE_REQUIREMENTS, f"{PACKAGE} @ {artefact.as_uri()}", *CORNERS[corner])
    show_versions(session)
    suite = dcrf_suite_folder(session, dcrf_sdist(session))
    session.chdir(suite)
    check = (
        "import importlib.metadata as m, pathlib, sys, djangochannelsrestframework as p; "
        "here = pathlib.Path.cwd().resolve(); where = pathlib.Path(p.__file__).resolve(); "
        "sys.exit(f'the suite imports {where} ({m.version(p.__name__)}), not our installed package') "
        f"if here in where.parents or m.version(p.__name__) == {DCRF_RELEASE!r} else print('testing', where)"
    )
    session.run("python", "-c", check)
    junit = suite / "junit.xml"
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    pytest = ["python", "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", "tests"]
    session.run(*pytest, *session.posargs, env=env, success_codes=[0, 1])
    counts = suite_counts(junit)
    summary = ", ".join(f"{value} {key}" for key, value in counts.items())
    if counts != {"passed": DCRF_SUITE_TESTS, "failed": 0, "errors": 0, "skipped": 0}:
        session.error(f"DCRF {DCRF_RELEASE}'s suite: {summary}; want exactly {DCRF_SUITE_TESTS} passed")
    session.log(f"DCRF {DCRF_RELEASE}'s suite: {summary}")


@nox.session
def dcrf_names(session: nox.Session) -> None:
    """Rewrite the names DCRF 1.3.0's modules expose (tests/support/dcrf13_names/), from DCRF itself."""
    session.install(f"{PACKAGE}=={DCRF_RELEASE}")
    show_versions(session)
    session.chdir(session.create_tmp())  # not the checkout, whose package would shadow DCRF's
    session.run("python", str(DCRF_NAMES / "dump.py"), str(DCRF_NAMES / f"dcrf-{DCRF_RELEASE}-names.json"))
