"""ECS ``valueFrom`` resolution as the sandbox does it (and the task-definition contract test)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from drills.targets.local.ecs_secrets import SecretReferenceError, resolve, split_value_from

ARN = "arn:aws:secretsmanager:ca-central-1:123456789012:secret:htdr/x/cache-AbCdEf"


def test_value_from_splits_into_arn_key_stage_and_version() -> None:
    assert split_value_from(f"{ARN}:authToken::") == (ARN, "authToken", None, None)
    assert split_value_from(f"{ARN}:authToken:AWSPREVIOUS:") == (ARN, "authToken", "AWSPREVIOUS", None)
    assert split_value_from(ARN) == (ARN, None, None, None)
    with pytest.raises(SecretReferenceError, match="not a Secrets Manager"):
        split_value_from("arn:aws:ssm:ca-central-1:123456789012:parameter/x")


def test_resolve_reads_the_json_key_and_names_a_missing_one_without_values() -> None:
    client = boto3.client("secretsmanager", region_name="ca-central-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:
        document = json.dumps({"authToken": "tok-123"})
        stub.add_response("get_secret_value", {"SecretString": document}, {"SecretId": ARN})
        stub.add_response("get_secret_value", {"SecretString": document}, {"SecretId": ARN})
        assert resolve(client, f"{ARN}:authToken::") == "tok-123"
        with pytest.raises(SecretReferenceError) as missing:
            resolve(client, f"{ARN}:auth_token::")
    assert "auth_token" in str(missing.value) and "tok-123" not in str(missing.value)
