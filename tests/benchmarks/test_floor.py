"""The HTTP floor that bench_api_floor compares the API against does no work but answer."""

import io

from benchmarks import floor


def test_the_floor_reads_the_body_and_answers_json():
    started = []
    body = b'{"principal": "x"}'
    environ = {"CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    answer = floor.application(environ, lambda status, headers: started.append((status, dict(headers))))
    assert started == [("200 OK", {"Content-Type": "application/json", "Content-Length": "21"})]
    assert b"".join(answer) == b'{"decision": "Allow"}'
    assert environ["wsgi.input"].read() == b""
