# SPDX-License-Identifier: GPL-2.0
"""The workbench's own tests: python3 -m unittest discover -s bench/tests
-t bench, with KUNIT_TOOL naming a kernel tree's tools/testing/kunit (the
workbench check sets it)."""
