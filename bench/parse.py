# SPDX-License-Identifier: GPL-2.0
"""Every parser of tool and guest output, in one place.

TAP and KTAP (the kselftests, KUnit) are read with kunit.py's own parser,
kunit_parser.py, loaded from the kernel tree under test: it checks each
plan against the results and reports missing and crashed tests.  The rest
is output no existing parser reads: the guests' console sections and
marker lines, kernel reports in a log, dumbprobe's and IGT's result lines,
compiler and sparse output, checkpatch's findings and its summary line.
"""

import importlib
import os
import re
import sys

# The guest's /init frames what it prints with this marker.
MARK = '@@@dumb-kmap@@@'

STATUS = {'SUCCESS': 'pass', 'FAILURE': 'fail', 'SKIPPED': 'skip',
          'TEST_CRASHED': 'crash', 'NO_TESTS': 'no-tests',
          'FAILURE_TO_PARSE_TESTS': 'unparsed'}


def kunit_parser(tool_dir):
    """kunit_parser from tools/testing/kunit of a kernel tree."""
    if tool_dir not in sys.path:
        sys.path.insert(0, tool_dir)
    module = importlib.import_module('kunit_parser')
    where = os.path.dirname(os.path.abspath(module.__file__))
    if where != os.path.abspath(tool_dir):
        raise ImportError('kunit_parser was loaded from %s, not %s' % (
            where, tool_dir))
    return module


class Ktap:
    """What a TAP or KTAP log says: each test case's status by its dotted
    name, and what is wrong with the log itself."""

    def __init__(self):
        self.cases = {}         # 'suite.case' or 'case': pass|fail|skip|crash
        self.problems = []      # the log is incomplete or malformed
        self.status = None      # the whole run: pass|fail|skip|crash|...
        self.counts = None

    def suites(self):
        """{suite: [statuses]} for KUnit-style 'suite.case' names."""
        found = {}
        for name, status in self.cases.items():
            found.setdefault(name.split('.')[0], []).append(status)
        return found


def _walk(test, prefix, out, parser):
    for i, sub in enumerate(test.subtests, 1):
        name = sub.name or '#%d' % i
        full = prefix + name
        if sub.subtests:
            _walk(sub, full + '.', out, parser)
        elif not sub.name:
            # The parser's stand-in for a test the plan promised.
            out.cases[full] = 'missing'
        else:
            out.cases[full] = STATUS[sub.status.name]


def ktap(text, tool_dir):
    """Parse TAP or KTAP output with kunit.py's parser."""
    parser = kunit_parser(tool_dir)
    printer = importlib.import_module('kunit_printer').null_printer
    lines = text.splitlines()
    test = parser.parse_run_tests(lines, printer)
    result = Ktap()
    result.status = STATUS[test.status.name]
    result.counts = test.counts
    _walk(test, '', result, parser)
    if test.counts.errors:
        result.problems.append('%d parse errors (a plan not met, a result '
                               'line missing)' % test.counts.errors)
    missing = sorted(n for n, s in result.cases.items() if s == 'missing')
    if missing:
        result.problems.append('%d tests the plan announced did not report'
                               % len(missing))
    if result.status in ('no-tests', 'unparsed'):
        result.problems.append('no test results (%s)' % result.status)
    for line in lines:
        if line.lstrip().startswith('Bail out!'):
            result.problems.append('the test bailed out: ' + line.strip())
    return result


def sections(text):
    """{name: text} of the console's begin/end marker sections."""
    found = {}
    for m in re.finditer(r'^%s begin (\S+)\r?\n(.*?)^%s end \1\r?$' % (
            re.escape(MARK), re.escape(MARK)), text, re.S | re.M):
        found[m.group(1)] = m.group(2).replace('\r', '')
    return found


def marks(text):
    """[(key, rest)] of the console's single marker lines, in order."""
    return [(m.group(1), m.group(2).strip()) for m in re.finditer(
        r'^%s (\S+) ?(.*?)\r?$' % re.escape(MARK), text, re.M)
        if m.group(1) not in ('begin', 'end')]


def mark_values(text, key):
    """The rest of every marker line with the given key."""
    return [rest for k, rest in marks(text) if k == key]


# Kernel reports.  A one-line dev_warn() is not a report; a "WARNING:"
# splat is.
REPORTS = [
    ('WARNING', re.compile(r'WARNING: .*(at|CPU: \d+ PID)')),
    ('BUG', re.compile(r'\bBUG: ')),
    ('Oops', re.compile(r'\bOops\b|Internal error:|general protection fault|'
                        r'Kernel panic - not syncing')),
    ('KASAN', re.compile(r'KASAN: ')),
    ('kmemleak', re.compile(r'kmemleak: .*new suspected memory leaks')),
    ('lockdep', re.compile(r'possible (recursive|circular|irq) .*(locking|lock)'
                           r'|Invalid wait context|inconsistent lock state')),
    # DMA API debugging announces itself at boot; only what follows counts.
    ('DMA-API', re.compile(r'DMA-API: (?!preallocated \d+ debug entries'
                           r'|debugging enabled by kernel config)')),
]
TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s*')
ADDRESS = re.compile(r'\b(0x)?[0-9a-f]{8,16}\b')


def kernel_reports(log):
    """[(kind, line without timestamp)] of the kernel reports in a log."""
    found = []
    for line in log.splitlines():
        for kind, pattern in REPORTS:
            if pattern.search(line):
                found.append((kind, TIMESTAMP.sub('', line).strip()))
                break
    return found


def report_key(report):
    """A report without addresses, to compare two kernels' reports."""
    return report[0], ADDRESS.sub('X', report[1])


def probe_lines(text):
    """{probe: {key: value}} from 'dumbprobe: <probe> key=value ...'."""
    found = {}
    for m in re.finditer(r'^dumbprobe: (\S+) ?(.*)$', text, re.M):
        found[m.group(1)] = dict(kv.split('=', 1) for kv in m.group(2).split()
                                 if '=' in kv)
    return found


IGT_VERDICT = {'SUCCESS': 'pass', 'SKIP': 'skip', 'FAIL': 'fail',
               'CRASH': 'crash', 'TIMEOUT': 'fail'}


def igt_subtests(text):
    """{subtest: status} from IGT's 'Subtest <name>: <RESULT>' lines."""
    return {m.group(1): IGT_VERDICT[m.group(2)] for m in re.finditer(
        r'^Subtest (\S+): (SUCCESS|SKIP|FAIL|CRASH|TIMEOUT)\b', text, re.M)}


# Compiler output.  What is a finding: a line with "warning" or "error"
# that is not make's or kbuild's own progress output.
FINDING = re.compile(r'(warning|error)\b', re.I)
NOISE = re.compile(r'^(make(\[\d+\])?: |\s+[A-Z0-9_]+\s+\S|  [A-Z]+ )')


def compiler_findings_lines(text):
    """The warning and error lines of compiler, sparse or make output."""
    return [line.strip() for line in text.splitlines()
            if FINDING.search(line) and not NOISE.match(line)]


def sparse_checked(text):
    """The source files kbuild ran the checker on ('  CHECK   <file>')."""
    return set(re.findall(r'^  CHECK   (\S+)$', text, re.M))


def checker_refused(text):
    """kbuild's lines saying that it turned the checker off."""
    return [line for line in text.splitlines()
            if 'specified, but' in line and 'not available' in line]


CHECKPATCH = re.compile(r'^(ERROR|WARNING|CHECK):([A-Z0-9_]+): (.*)$')
CHECKPATCH_TOTAL = re.compile(r'^total: (\d+) errors, (\d+) warnings, '
                              r'(?:(\d+) checks, )?(\d+) lines checked$', re.M)


def checkpatch(text):
    """(findings, problems): each finding as (TYPE, message, the line it is
    about), and what shows that checkpatch did not finish: no summary line,
    or a summary that does not count the findings printed."""
    lines = text.splitlines()
    findings = []
    for i, line in enumerate(lines):
        m = CHECKPATCH.match(line)
        if m:
            where = lines[i + 1].strip() if i + 1 < len(lines) else ''
            findings.append((m.group(1), m.group(2), m.group(3), where))
    total = CHECKPATCH_TOTAL.search(text)
    if not total:
        return findings, ['checkpatch printed no "total:" summary line: it '
                          'did not finish']
    counted = sum(int(x or 0) for x in total.groups()[:3])
    problems = []
    if counted != len(findings):
        problems.append('checkpatch counted %d findings but printed %d' % (
            counted, len(findings)))
    if int(total.group(4)) == 0:
        problems.append('checkpatch checked 0 lines')
    return findings, problems
