# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""emulator_request: one call to the emulator's unsigned control surface, made on the controller.

The tests read and seed the emulator hundreds of times per run. As ansible.builtin.uri tasks each
call was a module run in a new Python (about 0.45 s here); from this action plugin it is a plain
HTTP request from the worker (a few ms). Options: url, method (GET), body (sent as JSON; POST
without a body sends {}). Any answer but 200 fails the task, as uri's default does. Returns status
and json, like uri.
It runs in check mode too: it sets up and inspects the test stand, never the system under test.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ansible.plugins.action import ActionBase

_OPTIONS = frozenset(('url', 'method', 'body'))
_TIMEOUT_SECONDS = 30


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        arguments = self._task.args
        unknown = sorted(set(arguments) - _OPTIONS)
        if unknown or 'url' not in arguments:
            result.update(failed=True, msg='emulator_request takes url (required), method and body; got %s'
                          % ', '.join(sorted(arguments)))
            return result
        url = str(arguments['url'])
        method = str(arguments.get('method', 'GET')).upper()
        body = arguments.get('body')
        data = None
        if body is not None or method == 'POST':
            data = json.dumps(body if body is not None else {}).encode('utf-8')
        request = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:  # nosec: the local emulator
                status, text = response.status, response.read().decode('utf-8')
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode('utf-8', errors='replace')
        except OSError as error:  # URLError included: refused, unreachable, timed out
            result.update(failed=True, msg='%s %s: %s' % (method, url, error))
            return result
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = None
        result.update(status=status, json=answer, url=url, changed=method != 'GET')
        if status != 200:
            result.update(failed=True, msg='%s %s: HTTP %d: %s' % (method, url, status, text[:2000]))
        return result
