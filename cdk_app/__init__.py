"""AWS CDK app that provisions the HealthTech patient-monitoring pipeline with cross-region DR."""
