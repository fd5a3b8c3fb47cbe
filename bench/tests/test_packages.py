# SPDX-License-Identifier: GPL-2.0
"""packages.txt names the package of every command the CI tier needs, so
that bench/setup on a fresh machine installs all of them."""

import os
import unittest

import checks


def listed_packages():
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'packages.txt')
    with open(path, encoding='utf-8') as f:
        return {line.strip() for line in f
                if line.strip() and not line.startswith('#')}


class PackagesListed(unittest.TestCase):
    def test_every_tool_package_is_listed(self):
        missing = sorted(set(checks.TOOLS.values()) - listed_packages())
        self.assertEqual(missing, [])


if __name__ == '__main__':
    unittest.main()
