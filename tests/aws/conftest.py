import boto3
import pytest
from botocore.config import Config

from identities import services
from identities.models import User


@pytest.fixture
def org(transactional_db, org):
    """The organisation, committed: the live server answers from a connection of its own."""
    return org


def client(live_server, service, key_id, secret, token=None):
    return boto3.client(
        service,
        endpoint_url=f"{live_server.url}/aws/",
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def admin_key(org):
    key, secret = services.create_access_key(user=User.objects.get(username="iam-admin"), actor=None)
    return key.key_id, secret
