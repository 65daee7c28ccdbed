"""``python -m cdk_app``: synthesize the app (the CDK CLI runs the same through cdk.json)."""

import sys

from cdk_app.app import main

sys.exit(main())
