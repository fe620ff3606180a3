"""Write the names every module of the installed ``djangochannelsrestframework`` exposes, as JSON.

Run by ``nox -s dcrf_names`` in a virtual environment holding DCRF 1.3.0 (not this project), it
writes ``dcrf-1.3.0-names.json`` beside this file: ``{"modules": {module: [names]}}``, where the
names are ``dir(module)`` once every module of the package is imported (a package then also names
its submodules), less the attributes every module has (``__file__``, ``__doc__``...).
``tests/compat/test_dcrf_namespace.py`` checks that each of those names imports from our module of the
same path, without the network.

    python dump.py OUTPUT.json
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import pkgutil
import sys
from pathlib import Path

PACKAGE = "djangochannelsrestframework"
#: What every module has; not part of what a release chose to expose.
MODULE_ATTRIBUTES = frozenset(
    {
        "__builtins__",
        "__cached__",
        "__doc__",
        "__file__",
        "__loader__",
        "__name__",
        "__package__",
        "__path__",
        "__spec__",
    }
)


def configure_django() -> None:
    """The smallest settings under which every module of the package imports."""
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="names",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "channels"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    )
    django.setup()


def module_names() -> dict[str, list[str]]:
    """Every module of the installed package, imported, with the names it exposes."""
    package = importlib.import_module(PACKAGE)
    paths = [PACKAGE] + [info.name for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    modules = {path: importlib.import_module(path) for path in sorted(paths)}
    return {path: sorted(set(dir(module)) - MODULE_ATTRIBUTES) for path, module in modules.items()}


def main(output: Path) -> None:
    configure_django()
    release = importlib.metadata.version(PACKAGE)
    imported = getattr(importlib.import_module(PACKAGE), "__version__", None)
    if imported != release:
        raise SystemExit(f"{PACKAGE} {imported} was imported, not the installed release {release}")
    dump = {"distribution": f"{PACKAGE}=={release}", "modules": module_names()}
    output.write_text(json.dumps(dump, indent=1, sort_keys=True) + "\n")
    print(f"{output}: {sum(len(names) for names in dump['modules'].values())} names of {len(dump['modules'])} modules")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
