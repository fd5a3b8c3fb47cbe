# SPDX-License-Identifier: GPL-2.0
"""What the tests share: recorded data and kunit.py's parser."""

import os

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')


def kunit_tool():
    """tools/testing/kunit of a kernel tree, from KUNIT_TOOL."""
    tool = os.environ.get('KUNIT_TOOL')
    if not tool or not os.path.exists(os.path.join(tool, 'kunit_parser.py')):
        raise RuntimeError('set KUNIT_TOOL to a kernel tree\'s '
                           'tools/testing/kunit (the workbench check does)')
    return tool


def data(name):
    with open(os.path.join(DATA, name), encoding='utf-8',
              errors='replace') as f:
        return f.read()
