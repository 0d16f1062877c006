# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""emulator_request: one call to the emulator's unsigned control surface, made on the controller.

The tests read and seed the emulator hundreds of times per run. As ansible.builtin.uri tasks each
call was a module run in a new Python (about 0.45 s here); from this action plugin it is a plain
HTTP request from the worker (a few ms), made by the emulator package's EmulatorControl (installed
in the controller's Python with the emulator). Options: url (a control-surface URL,
<emulator>/_emulator/<path>[?query]), method (GET), body (sent as JSON; POST without a body sends
{}). Any answer but 200 fails the task, as uri's default does. Returns status and json, like uri.
It runs in check mode too: it sets up and inspects the test stand, never the system under test.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

_OPTIONS = frozenset(('url', 'method', 'body'))
_CONTROL = '/_emulator'
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
        base, found, path = url.partition(_CONTROL + '/')
        if not found:
            result.update(failed=True, msg='%s is not a URL of the emulator\'s control surface (<emulator>%s/...)' % (url, _CONTROL))
            return result
        try:
            from cloudflow_emulator import EmulatorControl  # pylint: disable=import-outside-toplevel
        except ImportError as error:
            result.update(failed=True, msg='the cloudflow-emulator package is not installed in the controller\'s Python '
                                           '(pip install ./tests/emulator): %s' % error)
            return result
        try:
            with EmulatorControl(base, timeout=_TIMEOUT_SECONDS) as control:
                response = control.request(method, '/' + path, arguments.get('body'))
                status, text = response.status_code, response.text
        except Exception as error:  # pylint: disable=broad-exception-caught  # httpx's: refused, unreachable, timed out
            result.update(failed=True, msg='%s %s: %s: %s' % (method, url, type(error).__name__, error))
            return result
        try:
            answer = response.json() if text else None
        except ValueError:
            answer = None
        result.update(status=status, json=answer, url=url, changed=method != 'GET')
        if status != 200:
            result.update(failed=True, msg='%s %s: HTTP %d: %s' % (method, url, status, text[:2000]))
        return result
