"""A per-address request limit for the open-data endpoints (fixed one-minute windows).

The counts live in the app (one set per process): behind several app servers each server allows
the limit, which is still a bound, and needs no shared store.
"""
from __future__ import annotations

import threading
import time
from functools import wraps

from flask import current_app, jsonify, request

MAX_TRACKED = 10_000


class _Windows:
    """Request counts per (group, address) in the current minute."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str], tuple[int, int]] = {}  # key -> (minute, count)

    def count(self, key: tuple[str, str], minute: int) -> int:
        with self.lock:
            seen, count = self.counts.get(key, (minute, 0))
            count = count + 1 if seen == minute else 1
            self.counts[key] = (minute, count)
            if len(self.counts) > MAX_TRACKED:
                self.counts = {k: v for k, v in self.counts.items() if v[0] == minute}
            return count


def rate_limited(group: str, per_minute: int):
    """Answer 429 (JSON, zh-TW) once an address has made ``per_minute`` requests to ``group``
    in the current minute; the answer says when to try again."""
    def decorate(view):
        @wraps(view)
        def limited(*args, **kwargs):
            windows = current_app.extensions.setdefault("rate_limits", _Windows())
            now = int(time.time())
            if windows.count((group, request.remote_addr or ""), now // 60) > per_minute:
                retry = 60 - now % 60
                response = jsonify(error=f"請求太頻繁：每分鐘最多 {per_minute} 次，請 {retry} 秒後再試。")
                response.status_code = 429
                response.headers["Retry-After"] = str(retry)
                return response
            return view(*args, **kwargs)
        return limited
    return decorate
