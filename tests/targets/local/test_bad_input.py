"""Bad input gets one clear line naming the input and the fix, and nothing is left half-started."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drills.targets.local import binaries
from drills.targets.local.errors import SandboxError
from drills.targets.local.ports import is_listening, wait_until
from drills.targets.local.process import ProcessTable, RunAs, require_traversable, unprivileged_account
from drills.targets.local.sandbox import Sandbox
from drills.targets.local.settings import ReplicationMode
from drills.targets.local.state import SandboxState, save_state
from htdr.cli import app
from tests.targets.local.conftest import settings_in, state_root

runner = CliRunner()


def _one_line_error(output: str, *needles: str) -> None:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_port_in_use_names_the_port_and_the_setting() -> None:
    with state_root() as root, socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", 16303))
        squatter.listen()
        result = runner.invoke(
            app,
            [
                "sandbox",
                "up",
                "--state-dir",
                str(root / "s"),
                "--port-base",
                "16300",
                "--outputs",
                str(root / "out.json"),
                "--no-pipeline",
            ],
        )
        assert result.exit_code == 1
        _one_line_error(result.output, "16303", "cache_primary", "--port-base")
        assert not (root / "s" / "state.json").exists() and not (root / "out.json").exists()


def test_unknown_replication_mode_is_refused() -> None:
    with pytest.raises(SandboxError, match=r"unknown replication mode 'semi'.*async, sync"):
        ReplicationMode.parse("semi")
    result = runner.invoke(
        app, ["sandbox", "up", "--replication-mode", "semi", "--state-dir", "/nonexistent/x"]
    )
    assert result.exit_code == 1
    _one_line_error(result.output, "--replication-mode")


def test_missing_binary_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(binaries, "_package_dir", lambda package: tmp_path / package)
    with state_root() as root:
        result = runner.invoke(app, ["sandbox", "up", "--state-dir", str(root / "s"), "--port-base", "16310"])
        assert result.exit_code == 1
        _one_line_error(result.output, "not found", "./dev setup")
        assert not (root / "s").exists()


def test_corrupt_state_points_at_down_force_which_recovers() -> None:
    with state_root() as root:
        state_dir = root / "s"
        state_dir.mkdir()
        (state_dir / "state.json").write_text("{not json")
        status = runner.invoke(app, ["sandbox", "status", "--state-dir", str(state_dir)])
        assert status.exit_code == 1
        _one_line_error(status.output, "corrupt", "down --force")
        assert runner.invoke(app, ["sandbox", "down", "--state-dir", str(state_dir)]).exit_code == 1
        forced = runner.invoke(
            app, ["sandbox", "down", "--force", "--state-dir", str(state_dir), "--port-base", "16320"]
        )
        assert forced.exit_code == 0, forced.output
        assert not (state_dir / "state.json").exists()


def test_stale_state_refuses_up_and_down_force_kills_orphans_by_pid_file_and_command_line() -> None:
    with state_root() as root:
        settings = settings_in(root, 16330, with_pipeline=False)
        sandbox = Sandbox(settings)
        save_state(
            sandbox.state_file,
            SandboxState(
                phase="up",
                port_base=16330,
                link_latency_ms=20,
                replication_mode="async",
                primary_region="a",
                dr_region="b",
                outputs_path=str(settings.outputs_path),
                environment_suffix="local",
                db_name="p",
                stream_shards=1,
                with_pipeline=False,
                pg_os_user="nobody",
                db_writer_region="a",
                cache_writer_region="a",
            ),
        )
        with pytest.raises(SandboxError, match=r"stale or unhealthy.*down --force"):
            sandbox.up()
        link_args = ["-m", "drills.targets.local.link", "--target-port", "16339"]
        state = str(settings.state_dir / "run")
        os.makedirs(state, exist_ok=True)
        tracked = sandbox.table.spawn(
            "link-db",
            [sys.executable, *link_args, "--listen-port", "16332", "--state-file", f"{state}/a.json"],
        )
        orphan = ProcessTable(root / "elsewhere", root / "logs2", sandbox.table.marker).spawn(
            "orphan",
            [sys.executable, *link_args, "--listen-port", "16335", "--state-file", f"{state}/b.json"],
        )
        wait_until(lambda: is_listening(16332) and is_listening(16335), 15, "fake components")
        (sandbox.state_file).write_text("garbage")
        assert sandbox.down(force=True) == []
        assert not sandbox.table.is_ours(tracked) and not sandbox.table.is_ours(orphan)
        assert (settings.state_dir / "logs").is_dir() and not (settings.state_dir / "run").exists()


def test_a_failing_up_tears_down_everything_it_started() -> None:
    with state_root() as root:
        sandbox = Sandbox(settings_in(root, 16340, with_pipeline=False, ready_timeout_s=0.001))
        with pytest.raises(SandboxError, match="did not become ready"):
            sandbox.up()
        assert sandbox.table.strays() == [] and sandbox.table.names() == []
        assert not sandbox.state_file.exists()
        assert sorted(p.name for p in (root / "state").iterdir()) == ["logs"]


def test_untraversable_state_dir_is_named_with_the_fix(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    stranger = RunAs("nobody", uid=os.getuid() + 4242, gid=os.getgid() + 4242)
    with pytest.raises(SandboxError, match=r"not traversable by OS user 'nobody'.*chmod o\+x"):
        require_traversable(private / "state", stranger)


def test_postgres_account_exists_when_running_as_root() -> None:
    if os.geteuid() == 0:
        with pytest.raises(SandboxError, match="OS user 'no-such-user-htdr' does not exist"):
            unprivileged_account("no-such-user-htdr")
        assert unprivileged_account("nobody") is not None
    else:
        assert unprivileged_account("no-such-user-htdr") is None
