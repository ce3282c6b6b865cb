"""/aws/ through Django's test client with botocore-signed requests: SigV4 refusals, the
Query protocol's errors, and no cookie either way."""

import json
from datetime import timedelta
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.parsers import QueryParser
from django.test import Client
from django.utils import timezone

from identities import services
from identities.credentials import AccessKey, RoleSession
from identities.models import User
from tests.aws.signing import call, now, presigned_url, send, signed_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia_key(org):
    key, secret = services.create_access_key(user=User.objects.get(username="mia"), actor=None)
    return key.key_id, secret


def code_of(response) -> tuple[int, str]:
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/xml")
    parsed = QueryParser().parse(
        {"body": response.content, "headers": dict(response.headers), "status_code": response.status_code}, None
    )
    assert "RequestId" in text
    return response.status_code, parsed["Error"]["Code"]


def test_a_signed_call_answers_xml_that_botocore_parses_with_every_required_member(mia_key):
    session = botocore.session.get_session()
    for service, action in (("sts", "GetCallerIdentity"), ("iam", "GetUser"), ("iam", "ListAccessKeys")):
        response = call(Client(), service, action, {}, *mia_key)
        assert response.status_code == 200, response.content
        operation = session.get_service_model(service).operation_model(action)
        parsed = QueryParser().parse(
            {"body": response.content, "headers": dict(response.headers), "status_code": 200}, operation.output_shape
        )
        assert parsed["ResponseMetadata"]["RequestId"]
        missing = _missing(operation.output_shape, parsed)
        assert missing == [], f"{action}: {missing}"


def _missing(shape, value, where="") -> list[str]:
    """Members botocore's model requires that `value` lacks, at any depth."""
    found = []
    if shape.type_name == "structure":
        for name in shape.required_members:
            if name not in value:
                found.append(f"{where}{name}")
        for name, member in shape.members.items():
            if name in value:
                found += _missing(member, value[name], f"{where}{name}.")
    elif shape.type_name == "list":
        for item in value:
            found += _missing(shape.member, item, where)
    return found


def test_a_wrong_secret_is_signature_does_not_match(mia_key):
    response = call(Client(), "sts", "GetCallerIdentity", {}, mia_key[0], "x" * 40)
    assert code_of(response) == (403, "SignatureDoesNotMatch")


def test_an_unknown_key_is_invalid_client_token_id(org):
    response = call(Client(), "sts", "GetCallerIdentity", {}, "AKIA" + "A" * 16, "x" * 40)
    assert code_of(response) == (403, "InvalidClientTokenId")


@pytest.mark.parametrize("part", ["body", "header"])
def test_a_request_changed_after_signing_is_refused(mia_key, part):
    request = signed_request("iam", {"Action": "GetUser"}, *mia_key)
    if part == "body":
        request.data = request.data.replace(b"GetUser", b"ListUsers")
    else:
        request.headers["X-Amz-Date"] = (now() - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    assert code_of(send(Client(), request)) == (403, "SignatureDoesNotMatch")


def test_a_request_signed_twenty_minutes_ago_has_an_expired_signature(mia_key):
    response = call(Client(), "sts", "GetCallerIdentity", {}, *mia_key, at=now() - timedelta(minutes=20))
    assert code_of(response) == (403, "SignatureDoesNotMatch")
    assert "Signature expired" in response.content.decode()


def test_a_presigned_url_works_until_it_expires(mia_key):
    url = presigned_url("sts", {"Action": "GetCallerIdentity"}, *mia_key, expires=60)
    fresh = Client().get("/aws/?" + urlsplit(url).query, headers={"host": "testserver"})
    assert fresh.status_code == 200 and b"arn:aws:iam::123456789012:user/mia" in fresh.content
    old = presigned_url("sts", {"Action": "GetCallerIdentity"}, *mia_key, expires=60, at=now() - timedelta(minutes=5))
    expired = Client().get("/aws/?" + urlsplit(old).query, headers={"host": "testserver"})
    assert code_of(expired) == (403, "SignatureDoesNotMatch") and b"Signature expired" in expired.content


def test_a_session_token_of_an_expired_session_is_expired_token(org):
    mia = User.objects.get(username="mia")
    role = mia.role_assignments.first().role
    session, secret, token = services.start_role_session(
        role=role, user=mia, session_name="old", duration=900, source="api", actor=mia
    )
    RoleSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call(Client(), "sts", "GetCallerIdentity", {}, session.key_id, secret, token)
    assert code_of(response) == (400, "ExpiredToken")
    wrong_token = call(Client(), "sts", "GetCallerIdentity", {}, session.key_id, secret, "y" * 80)
    assert code_of(wrong_token) == (403, "InvalidClientTokenId")


def test_a_key_made_before_sealing_cannot_sign(mia_key):
    AccessKey.objects.filter(key_id=mia_key[0]).update(secret_sealed="")
    response = call(Client(), "sts", "GetCallerIdentity", {}, *mia_key)
    assert code_of(response) == (403, "InvalidClientTokenId")


def test_unsigned_unknown_and_missing_actions_answer_aws_errors(mia_key):
    unsigned = Client().post(
        "/aws/", "Action=GetUser&Version=2010-05-08", content_type="application/x-www-form-urlencoded"
    )
    assert code_of(unsigned) == (403, "MissingAuthenticationToken")
    assert code_of(call(Client(), "iam", "LaunchRockets", {}, *mia_key)) == (400, "InvalidAction")
    assert code_of(call(Client(), "iam", "", {}, *mia_key)) == (400, "MissingAction")
    garbled = Client().post(
        "/aws/", "x", content_type="text/plain", headers={"authorization": "AWS4-HMAC-SHA256 nonsense"}
    )
    assert code_of(garbled) == (400, "IncompleteSignature")
    other_region = call(Client(), "sts", "GetCallerIdentity", {}, *mia_key, region="eu-west-1")
    assert code_of(other_region) == (403, "SignatureDoesNotMatch")


def test_the_endpoint_neither_reads_nor_sets_a_cookie(org, mia_key):
    browser = Client()
    browser.force_login(User.objects.get(username="iam-admin"))
    unsigned = browser.post(
        "/aws/", "Action=ListUsers&Version=2010-05-08", content_type="application/x-www-form-urlencoded"
    )
    assert code_of(unsigned) == (403, "MissingAuthenticationToken")
    signed = call(browser, "iam", "ListUsers", {}, *mia_key)
    assert code_of(signed)[1] == "AccessDenied" and b"iam:ListUsers" in signed.content
    assert not signed.cookies and not unsigned.cookies


def test_the_error_table_in_the_docs_is_the_one_the_endpoint_answers_from():
    from pathlib import Path

    from policies.aws.protocol import ERRORS

    text = (Path(__file__).resolve().parents[2] / "docs" / "aws-api.md").read_text()
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| `")]
    documented = {cells[1].strip().strip("`"): int(cells[2]) for cells in rows if cells[2].strip().isdigit()}
    assert documented == {code: status for code, (status, _) in ERRORS.items()}


def test_external_id_is_sts_external_id_in_the_trust_policy(mia_key):
    mia = User.objects.get(username="mia")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": mia.arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "partner-42"}},
            }
        ],
    }
    role = services.create_role(role_name="PartnerAccess", trust_policy=trust, actor=None)
    asked = {"RoleArn": role.arn, "RoleSessionName": "partner"}
    without = call(Client(), "sts", "AssumeRole", asked, *mia_key)
    assert code_of(without) == (403, "AccessDenied") and b"sts:AssumeRole" in without.content
    wrong = call(Client(), "sts", "AssumeRole", {**asked, "ExternalId": "partner-43"}, *mia_key)
    assert code_of(wrong) == (403, "AccessDenied")
    right = call(Client(), "sts", "AssumeRole", {**asked, "ExternalId": "partner-42"}, *mia_key)
    assert right.status_code == 200 and b"assumed-role/PartnerAccess/partner" in right.content
    assert RoleSession.objects.filter(role=role).count() == 1


def test_a_bad_duration_or_missing_parameter_changes_nothing(mia_key):
    role_arn = "arn:aws:iam::123456789012:role/ReleaseManager"
    for params in ({"RoleArn": role_arn}, {"RoleArn": role_arn, "RoleSessionName": "s", "DurationSeconds": "-5"}):
        assert code_of(call(Client(), "sts", "AssumeRole", params, *mia_key)) == (400, "ValidationError")
    assert not RoleSession.objects.exists()


@pytest.mark.parametrize(
    "method, query, body, headers",
    [
        ("PUT", "", "", {}),
        ("GET", "", "", {}),
        ("GET", "X-Amz-Signature=zz&X-Amz-Credential=a", "", {}),
        (
            "GET",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA/1/2/3/4&X-Amz-Date=bad"
            "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0" * 64 + "&X-Amz-Expires=9",
            "",
            {},
        ),
        (
            "POST",
            "",
            "\xff\xfe",
            {
                "authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/iam/aws4_request,"
                " SignedHeaders=host, Signature=" + "0" * 64,
                "x-amz-date": "20260101T000000Z",
            },
        ),
    ],
)
def test_malformed_requests_get_an_aws_error_never_a_5xx(org, method, query, body, headers):
    response = Client().generic(method, "/aws/?" + query, body, content_type="text/plain", headers=headers)
    status, code = code_of(response)
    assert 400 <= status < 500 and code


def test_a_policy_document_is_answered_url_encoded_as_aws_does(org):
    from urllib.parse import unquote
    from xml.etree.ElementTree import fromstring

    from policies import services as policy_services

    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s:A", "Resource": "*"}]}
    henry = User.objects.get(username="henry")
    policy_services.put_inline_policy(identity=henry, policy_name="Own", document=document, actor=None)
    key, secret = services.create_access_key(user=User.objects.get(username="iam-admin"), actor=None)
    response = call(Client(), "iam", "GetUserPolicy", {"UserName": "henry", "PolicyName": "Own"}, key.key_id, secret)
    assert response.status_code == 200
    namespace = "{https://iam.amazonaws.com/doc/2010-05-08/}"
    raw = fromstring(response.content).find(f"{namespace}GetUserPolicyResult/{namespace}PolicyDocument").text
    assert "{" not in raw and json.loads(unquote(raw)) == document
