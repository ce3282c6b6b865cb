"""The HTTP floor: a WSGI application that answers every request with a small JSON body and
does nothing else, served by gunicorn under the project's settings to measure what HTTP,
gunicorn and the load generator cost alone (bench_api_floor)."""

BODY = b'{"decision": "Allow"}'


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]
