# SPDX-License-Identifier: GPL-2.0
"""A run's results for people and for CI: the summary table printed at the
end, results.json and a JUnit XML file in the cache's logs/.

Each check ends as 'pass', 'fail' (the series or a check's expectation
failed, or a check it needs did not pass) or 'error' (the machine, the
network or the cache failed: exit status 2).
"""

import json
import os
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import List

from common import LOGS, write_atomic


@dataclass
class Result:
    name: str
    tier: str
    what: str
    result: str = 'not-run'     # pass, fail, error
    seconds: float = 0.0
    log: str = ''
    problems: List[str] = field(default_factory=list)


def exit_status(results):
    if any(r.result == 'error' for r in results):
        return 2
    return 1 if any(r.result != 'pass' for r in results) else 0


def table(results):
    """The summary table, one line per check, and the last line."""
    width = max([len(r.name) for r in results] + [5])
    lines = ['%-*s  %-6s %7s  %s' % (width, 'check', 'result', 'seconds',
                                     'log')]
    for r in results:
        lines.append('%-*s  %-6s %7.0f  %s' % (width, r.name, r.result,
                                               r.seconds, r.log))
    passed = sum(1 for r in results if r.result == 'pass')
    lines.append('%d passed, %d failed' % (passed, len(results) - passed))
    return lines


def junit(results, started):
    suite = ET.Element('testsuite', {
        'name': 'dumb-kmap', 'tests': str(len(results)),
        'failures': str(sum(r.result == 'fail' for r in results)),
        'errors': str(sum(r.result == 'error' for r in results)),
        'time': '%.0f' % sum(r.seconds for r in results),
        'timestamp': time.strftime('%Y-%m-%dT%H:%M:%S',
                                   time.gmtime(started))})
    for r in results:
        case = ET.SubElement(suite, 'testcase', {
            'classname': 'dumb-kmap.' + r.tier, 'name': r.name,
            'time': '%.0f' % r.seconds})
        if r.result != 'pass':
            tag = 'error' if r.result == 'error' else 'failure'
            node = ET.SubElement(case, tag, {
                'message': (r.problems or [r.result])[0][:200]})
            node.text = '\n'.join(r.problems)
        ET.SubElement(case, 'system-out').text = 'log: %s' % r.log
    root = ET.Element('testsuites')
    root.append(suite)
    return ET.tostring(root, encoding='unicode')


def save(results, meta, started):
    """Write results.json and junit.xml (and a dated copy of the JSON);
    return the paths."""
    data = dict(meta, started=time.strftime(
        '%Y-%m-%dT%H:%M:%SZ', time.gmtime(started)),
        seconds=round(time.time() - started),
        exit_status=exit_status(results),
        checks=[asdict(r) for r in results])
    text = json.dumps(data, indent=1) + '\n'
    paths = [os.path.join(LOGS, 'results.json'),
             os.path.join(LOGS, 'junit.xml'),
             os.path.join(LOGS, 'history', 'results-%s.json' % time.strftime(
                 '%Y%m%dT%H%M%S', time.gmtime(started)))]
    write_atomic(paths[0], text)
    write_atomic(paths[1], junit(results, started) + '\n')
    write_atomic(paths[2], text)
    return paths
