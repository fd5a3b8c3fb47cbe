# SPDX-License-Identifier: GPL-2.0
"""A run's results as Markdown, for docs/results/: made from the run's
logs/results.json and the runtime checks' logs/runtime-<guest>.json, so
that the figures written down are the figures a run produced."""

import json
import os

from common import LOGS, Failure


def counts(tests):
    found = {}
    for status in tests.values():
        found[status] = found.get(status, 0) + 1
    return ', '.join('%d %s' % (n, s) for s, n in sorted(found.items()))


def runtime_rows(checks):
    rows = []
    for check in checks:
        if not check['name'].startswith('runtime-'):
            continue
        for name in sorted(os.listdir(LOGS)):
            if not (name.startswith('runtime-') and name.endswith('.json')):
                continue
            with open(os.path.join(LOGS, name), encoding='utf-8') as f:
                data = json.load(f)
            if data.get('check') != check['name']:
                continue
            base, patched = data.get('base'), data.get('patched')
            rows.append('| %s | %d | %s | %s |' % (
                data.get('guest', name[8:-5]), len(patched['tests']),
                counts(base['tests']) if base else 'stops (expected)',
                counts(patched['tests'])))
    return rows


def markdown(path=None):
    path = path or os.path.join(LOGS, 'results.json')
    if not os.path.exists(path):
        raise Failure('no results at %s: run "make test" first' % path)
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    checks = data['checks']
    passed = sum(1 for c in checks if c['result'] == 'pass')
    lines = ['# `make test%s`, %s' % (' -full' if data['tier'] == 'full'
                                      else '', data['started']), '',
             '%d patches; %d checks: %d passed, %d failed; %d s in all; '
             'exit status %d.' % (len(data['patches']), len(checks), passed,
                                  len(checks) - passed, data['seconds'],
                                  data['exit_status']), '',
             '| check | result | seconds |', '| --- | --- | ---: |']
    lines += ['| %s | %s | %.0f |' % (c['name'], c['result'], c['seconds'])
              for c in checks]
    rows = runtime_rows(checks)
    if rows:
        lines += ['', '| guest | tests | base | patched |',
                  '| --- | ---: | --- | --- |'] + rows
    failed = [c for c in checks if c['result'] != 'pass']
    for c in failed:
        lines += ['', '`%s` (%s):' % (c['name'], c['result']), '']
        lines += ['    ' + p for p in c['problems'][:30]]
    return '\n'.join(lines) + '\n'
