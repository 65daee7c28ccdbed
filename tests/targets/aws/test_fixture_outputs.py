"""The fixture outputs file is the outputs contract of a deployment ``drill1`` with the names the CDK
app gives its resources, so the plans printed from it name what a real ``drill1`` would have."""

from __future__ import annotations

import json

from cdk_app.constructs.ingest_api import STAGE
from cdk_app.naming import Naming
from contracts.outputs import OutputKey, RegionalKey, Side, all_keys, regional
from tests.targets.aws.conftest import FIXTURE


def test_fixture_has_exactly_the_contract_keys_of_an_aws_deployment() -> None:
    data = json.loads(FIXTURE.read_text())
    assert set(data) == set(all_keys())
    assert data[OutputKey.TARGET_KIND] == "aws"


def test_fixture_names_are_the_apps_names_for_its_suffix() -> None:
    data = json.loads(FIXTURE.read_text())
    naming = Naming(data[OutputKey.ENVIRONMENT_SUFFIX])
    assert data[OutputKey.GLOBAL_CLUSTER_ID] == naming.global_cluster_id()
    for side in Side:
        label = side.value.lower()
        assert data[regional(side, RegionalKey.DB_CLUSTER_ID)] == naming.db_cluster_id(label)
        assert data[regional(side, RegionalKey.CACHE_REPLICATION_GROUP_ID)] == naming.cache_group_id(label)
        assert data[regional(side, RegionalKey.ECS_CLUSTER_NAME)] == naming.name("processing")
        assert data[regional(side, RegionalKey.PROCESSOR_SERVICE_NAME)] == naming.name("processor")
        assert data[regional(side, RegionalKey.STREAM_NAME)] == naming.name("events")
        assert data[regional(side, RegionalKey.API_URL)].endswith(f".amazonaws.com/{STAGE}/")
