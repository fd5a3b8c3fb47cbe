# SPDX-License-Identifier: GPL-2.0
"""check_headers on a small git tree: which header changes count as code,
and which only add lines (the CI tier compiles a header's includers at a
patch only when the patch changes or removes its lines)."""

import os
import unittest

import check_headers
from tests import helpers

HEADER = '''/* a header */
struct thing {
	int a;	/* the a */
};
int thing_get(struct thing *t);
'''


class HeaderChanges(helpers.CheckTreeCase):
    def setUp(self):
        super().setUp()
        self.commit(HEADER, 'c0')

    def commit(self, text, tag):
        os.makedirs(os.path.join(self.dir, 'include'), exist_ok=True)
        with open(os.path.join(self.dir, 'include/thing.h'), 'w') as f:
            f.write(text)
        self.git('add', '-A')
        self.git('commit', '-q', '-m', tag)
        self.git('tag', tag)

    def test_comment_only(self):
        self.commit(HEADER.replace('the a', 'the first'), 'c1')
        self.assertFalse(check_headers.code_changed('include/thing.h', 'c0',
                                                    'c1'))

    def test_added_lines(self):
        self.commit(HEADER.replace('};\n', '\tint b;\n};\n'), 'c1')
        self.assertTrue(check_headers.code_changed('include/thing.h', 'c0',
                                                   'c1'))
        self.assertFalse(check_headers.lines_removed('include/thing.h',
                                                     'c0', 'c1'))

    def test_changed_line(self):
        self.commit(HEADER.replace('int a;', 'long a;'), 'c1')
        self.assertTrue(check_headers.lines_removed('include/thing.h', 'c0',
                                                    'c1'))


if __name__ == '__main__':
    unittest.main()
