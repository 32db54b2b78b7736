"""A pooled HTTP client (requests.Session) against MiniTwit: many requests, some asking Connection: close.

Usage: python3 pooled-client.py WEB_BASE API_BASE COUNT SEED
Prints one JSON line per port: requests, failures, connections opened, close requests, first errors.
"""

import json
import logging
import random
import sys

import requests

AUTH = {"Authorization": "Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh"}


class ConnectionCounter(logging.Handler):
    """Counts the connections urllib3 opens: new ones, and dropped ones it reopens (logged at DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.opened = 0

    def emit(self, record):
        message = record.getMessage()
        if "Starting new HTTP connection" in message or "Resetting dropped connection" in message:
            self.opened += 1


def run(base, requests_of, count, rng, counter):
    session = requests.Session()
    counter.opened = 0
    failures, closing, errors = 0, 0, []
    for i in range(count):
        method, path, kwargs = rng.choice(requests_of)
        headers = dict(kwargs.get("headers", {}))
        if rng.random() < 0.3:
            headers["Connection"] = "close"
            closing += 1
        try:
            response = session.request(
                method, base + path, headers=headers, timeout=5, allow_redirects=False,
                **{k: v for k, v in kwargs.items() if k != "headers"},
            )
            if response.status_code >= 500:
                failures += 1
                errors.append(f"{i} {method} {path}: {response.status_code}")
        except requests.RequestException as error:
            failures += 1
            errors.append(f"{i} {method} {path}: {type(error).__name__}: {error}"[:200])
    return {"requests": count, "failures": failures, "connections": counter.opened,
            "close_requests": closing, "errors": errors[:5]}


def main():
    web, api, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    counter = ConnectionCounter()
    log = logging.getLogger("urllib3.connectionpool")
    log.setLevel(logging.DEBUG)
    log.addHandler(counter)
    rng = random.Random(seed)
    web_requests = [
        ("GET", "/health", {}),
        ("GET", "/public", {}),
        ("GET", "/nobody", {}),
        ("GET", "/public/", {}),
        ("POST", "/login", {"data": {"username": "nobody", "password": "x"}}),
        ("POST", "/add_message", {"data": {"text": "not signed in"}}),
    ]
    api_requests = [
        ("GET", "/latest", {}),
        ("GET", "/msgs?no=5", {"headers": AUTH}),
        ("GET", "/msgs/nobody", {"headers": AUTH}),
        ("POST", "/fllws/nobody", {"headers": AUTH, "json": {"follow": "x"}}),
        ("POST", "/msgs/nobody", {"headers": AUTH, "data": "[[[[[[[[[[[]]]]]]]]]]]"}),
        ("GET", "/msgs", {}),
    ]
    for name, base, requests_of in (("web", web, web_requests), ("api", api, api_requests)):
        result = run(base, requests_of, count, rng, counter)
        print(json.dumps({"port": name, **result}), flush=True)


if __name__ == "__main__":
    main()
