"""Emit contract outputs: the CfnOutput's logical id IS the flat-outputs key, so it must be stable."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack

from contracts.outputs import OutputKey, RegionalKey, Side, regional


def emit(stack: Stack, key: OutputKey | str, value: str, description: str) -> CfnOutput:
    """Add an output at stack level (top-level ids are used verbatim as logical ids)."""
    name = key.value if isinstance(key, OutputKey) else key
    return CfnOutput(stack, name, value=value, description=description)


def emit_regional(stack: Stack, side: Side, key: RegionalKey, value: str, description: str) -> CfnOutput:
    """Add a per-region output, e.g. ``DrStreamName``."""
    return emit(stack, regional(side, key), value, description)
