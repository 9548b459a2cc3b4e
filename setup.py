"""setuptools: the packages under ecore_xl/, plus install/ as ``ecore_xl.excel.addin_files`` and
officejs/src as ``ecore_xl.serve.addin_files``."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["ecore_xl*"]),
        "ecore_xl.excel.addin_files",
        "ecore_xl.serve.addin_files",
    ]
)
