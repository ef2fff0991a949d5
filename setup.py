"""Package discovery for the wheel (metadata lives in pyproject.toml).

The repository keeps the design card's top-level layout (``integrations/``,
``templates/``), but an installed wheel must not drop generic top-level packages
such as ``integrations`` or ``templates`` into site-packages, so both are mapped
*inside* ``dividebuy_checkout``. ``find_packages`` keeps the list complete as
subpackages are added; a hand-kept list would silently leave one out.
"""

from setuptools import find_packages, setup

MAPPED = {
    "integrations": "dividebuy_checkout.integrations",
    "templates": "dividebuy_checkout.templates",
}

packages = find_packages(include=["dividebuy_checkout", "dividebuy_checkout.*"])
package_dir = {"dividebuy_checkout": "dividebuy_checkout"}
for folder, dotted in MAPPED.items():
    package_dir[dotted] = folder
    packages.append(dotted)
    packages += [f"{dotted}.{sub}" for sub in find_packages(where=folder)]

setup(packages=packages, package_dir=package_dir)
