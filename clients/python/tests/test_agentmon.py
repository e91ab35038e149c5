"""Tests of the Python client against a real agentmon server (started here as a subprocess).

Run from the repository root:  python3 -m unittest discover -s clients/python/tests -v
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent.parent  # clients/python/tests -> repository root
sys.path.insert(0, str(HERE.parent))

import agentmon  # noqa: E402

ADMIN_TOKEN = "agentmon-python-tests-admin-token"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

QUIET = logging.getLogger("agentmon.tests")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


# ----------------------------------------------------------------------------------- helpers


class Server:
    """An agentmon server in a subprocess: `agentmon serve` from the repository, SQLite in data_dir."""

    def __init__(self, data_dir: str, port: int = 0, registration_token: Optional[str] = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.registration_token = registration_token
        self.url = ""
        self.proc: Optional[subprocess.Popen] = None
        self.output: List[str] = []
        self.reader = threading.Thread()

    def start(self, attempts: int = 3) -> "Server":
        last = ""
        for attempt in range(attempts):
            try:
                return self._start_once()
            except RuntimeError as err:
                last = str(err)
                time.sleep(2.0 * (attempt + 1))  # a port still closing, or a file mid-edit
        raise RuntimeError("agentmon server did not start:\n" + last)

    def _start_once(self) -> "Server":
        env = dict(os.environ, AGENTMON_ADMIN_TOKEN=ADMIN_TOKEN)
        for key in ("AGENTMON_CONFIG", "AGENTMON_DATABASE_URL", "AGENTMON_REGISTRATION_TOKEN", "PORT", "HOST"):
            env.pop(key, None)
        if self.registration_token:
            env["AGENTMON_REGISTRATION_TOKEN"] = self.registration_token
        self.output = []
        self.proc = subprocess.Popen(
            [
                "node", "--conditions=source", "--import", "tsx", "packages/cli/src/bin.ts", "serve",
                "--port", str(self.port), "--data-dir", self.data_dir, "--log-level", "warn",
            ],
            cwd=str(REPO_ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        found = threading.Event()

        def read(proc: subprocess.Popen) -> None:  # drains the pipe for the server's whole life
            assert proc.stdout is not None
            for line in proc.stdout:
                self.output.append(line)
                m = re.search(r"listening on (http://\S+)", line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()
            found.set()

        self.reader = threading.Thread(target=read, args=(self.proc,), daemon=True)
        self.reader.start()
        found.wait(90)
        if not self.url or self.proc.poll() is not None:
            self.kill()
            raise RuntimeError("".join(self.output[-40:]) or "no output")
        self.port = int(urllib.parse.urlparse(self.url).port or 0)
        return self

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._close(proc)
        self.url = ""

    def kill(self) -> None:
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
            self._close(proc)

    def _close(self, proc: subprocess.Popen) -> None:
        self.reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()
        self.proc = None


def api(url: str, method: str, path: str, query: Optional[Dict[str, Any]] = None, body: Any = None) -> Any:
    """A raw request with the admin token, independent of the client under test."""
    full = url + "/api/v1" + path
    if query:
        full += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(full, data=data, method=method, headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def query_rows(url: str, agent_id: str, metric_names: List[str]) -> List[Dict[str, Any]]:
    """Raw points of one agent over the last hour (GET /metrics/query), oldest first."""
    now = time.time()
    answer = api(
        url,
        "GET",
        "/metrics/query",
        {
            "agent_ids": agent_id,
            "start_time": agentmon.utc_iso(now - 3600),
            "end_time": agentmon.utc_iso(now + 60),
            "metric_names": ",".join(metric_names),
        },
    )
    return sorted(answer["data"], key=lambda r: r["timestamp"])


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())


def parse_iso(ts: str) -> float:
    from datetime import datetime, timezone

    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


def monitor(url: str, name: Optional[str] = None, **kwargs: Any) -> agentmon.AgentMonitor:
    kwargs.setdefault("host", "test-host")
    kwargs.setdefault("logger", QUIET)
    kwargs.setdefault("flush_on_exit", False)
    kwargs.setdefault("initial_backoff_seconds", 0.1)
    kwargs.setdefault("max_backoff_seconds", 0.5)
    kwargs.setdefault("request_timeout", 5.0)
    return agentmon.AgentMonitor(
        url,
        ADMIN_TOKEN,
        name or "py-" + uuid.uuid4().hex[:10],
        kwargs.pop("type", "llm_agent"),
        kwargs.pop("version", "1.0.0"),
        kwargs.pop("environment", "test"),
        **kwargs,
    )


FAST = {"metrics_interval_seconds": 0.25, "health_check_interval_seconds": 0.5}
MANUAL = {"metrics_interval_seconds": 3600, "health_check_interval_seconds": 3600}


# ------------------------------------------------------------------------------ no server


class OfflineTests(unittest.TestCase):
    """What needs no server: timestamps, resource collection, counting, health check results."""

    def test_timestamps_are_iso_utc_with_z(self) -> None:
        from datetime import datetime, timedelta, timezone

        self.assertRegex(agentmon.utc_iso(), ISO_Z)
        self.assertEqual(agentmon.utc_iso(datetime(2024, 5, 1, 12, 0, 0, 123456)), "2024-05-01T12:00:00.123Z")
        plus2 = timezone(timedelta(hours=2))
        self.assertEqual(agentmon.utc_iso(datetime(2024, 5, 1, 14, 0, 0, tzinfo=plus2)), "2024-05-01T12:00:00.000Z")
        self.assertEqual(agentmon.utc_iso(0), "1970-01-01T00:00:00.000Z")
        m = monitor(closed_port_url(), interval_override=MANUAL)
        payload = m.collect()
        assert payload is not None
        self.assertRegex(payload["timestamp"], ISO_Z)
        results = m.run_health_checks()
        self.assertEqual(results, [])
        m.add_health_check("x", lambda: True)
        self.assertRegex(m.run_health_checks()[0]["timestamp"], ISO_Z)

    def test_resource_metrics_are_within_bounds(self) -> None:
        collector = agentmon.ResourceCollector()
        sum(i * i for i in range(200000))  # some CPU to measure
        resource, extras = collector.collect()
        for key in ("cpu_usage_percent", "memory_usage_percent"):
            self.assertGreaterEqual(resource[key], 0.0)
            self.assertLessEqual(resource[key], 100.0)
        self.assertGreater(resource["memory_usage_bytes"], 0)
        self.assertGreater(resource["disk_usage_bytes"], 0)
        if os.path.exists("/proc/diskstats"):
            self.assertGreaterEqual(resource["disk_io_read_bytes"], 0)
            self.assertGreaterEqual(resource["disk_io_write_bytes"], 0)
        if os.path.exists("/proc/net/dev"):
            self.assertGreaterEqual(resource["network_io_rx_bytes"], 0)
            self.assertGreaterEqual(resource["network_io_tx_bytes"], 0)
        if os.path.exists("/proc/stat"):
            self.assertTrue(0.0 <= extras["host"]["cpu_percent"] <= 100.0)
        self.assertEqual(extras["process"]["memory_rss_bytes"], resource["memory_usage_bytes"])
        self.assertGreaterEqual(extras["host"]["cpus"], 1)
        resource, _ = collector.collect(detailed=False)
        self.assertEqual(
            set(resource), {"cpu_usage_percent", "memory_usage_bytes", "memory_usage_percent", "disk_usage_bytes"}
        )
        host, extras = agentmon.ResourceCollector(scope="host").collect()
        if os.path.exists("/proc/meminfo"):
            self.assertEqual(host["memory_usage_bytes"], extras["host"]["memory_used_bytes"])
        with self.assertRaises(ValueError):
            agentmon.ResourceCollector(scope="galaxy")

    def test_process_cpu_of_a_short_window_is_the_cpu_it_used(self) -> None:
        # A fresh agent's first payload covers a few ms. Counted in 10 ms clock ticks, 2 ms of work
        # there read 0 % or 30-100 % (and a fresh agent at 100 % fires its CPU rule).
        cores = agentmon._cpu_count()
        for _ in range(20):
            cpu_before = time.process_time()
            collector = agentmon.ResourceCollector()
            spin_until = time.process_time() + 0.002
            while time.process_time() < spin_until:
                pass
            time.sleep(0.03)
            resource, extras = collector.collect()
            used = time.process_time() - cpu_before
            # The window is at least the 30 ms sleep long and holds at most the CPU used around it.
            self.assertLessEqual(resource["cpu_usage_percent"], used / (0.03 * cores) * 100.0 + 1e-6)
            self.assertGreater(resource["cpu_usage_percent"], 0.0)

    def test_gpu_from_nvidia_smi_or_none(self) -> None:
        tmp = tempfile.mkdtemp(prefix="agentmon-gpu-")
        self.addCleanup(shutil.rmtree, tmp, True)
        old_path = os.environ.get("PATH", "")
        self.addCleanup(os.environ.__setitem__, "PATH", old_path)

        def fake(body: str) -> None:
            path = os.path.join(tmp, "nvidia-smi")
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

        os.environ["PATH"] = tmp  # no nvidia-smi at all
        self.assertEqual(agentmon.ResourceCollector().gpu(), (None, None))

        fake('echo "30, 1024"; echo "70, 2048"')
        collector = agentmon.ResourceCollector()
        self.assertEqual(collector.gpu(), (50.0, 3072 * 1024 * 1024))
        resource, _ = collector.collect()
        self.assertEqual(resource["gpu_usage_percent"], 50.0)
        self.assertEqual(resource["gpu_memory_usage_bytes"], 3072 * 1024 * 1024)

        # A hung nvidia-smi: gpu() gives up on it (the marker proves it answered before the hang ended).
        finished = os.path.join(tmp, "finished")
        fake("%s 5 && %s %s" % (shutil.which("sleep") or "/bin/sleep", shutil.which("touch") or "/usr/bin/touch", finished))
        collector = agentmon.ResourceCollector(gpu_timeout=0.3)
        self.assertEqual(collector.gpu(), (None, None))
        self.assertFalse(os.path.exists(finished), "gpu() waited for the hung nvidia-smi")

    def test_track_and_task_counting(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, collect_system_metrics=False)

        @m.track
        def work(x: int) -> int:
            time.sleep(0.02)
            return x * 2

        @m.track()
        def broken() -> None:
            raise ValueError("nope")

        @m.track
        async def awork() -> str:
            await asyncio.sleep(0.01)
            return "ok"

        m.collect()  # a new window
        self.assertEqual([work(i) for i in range(3)], [0, 2, 4])
        self.assertEqual(work.__name__, "work")
        with self.assertRaises(ValueError):
            broken()
        self.assertEqual(asyncio.run(awork()), "ok")
        with m.task() as t:
            t.fail()
        with self.assertRaises(KeyError):
            with m.task():
                raise KeyError("k")

        async def in_async_block() -> None:
            async with m.task():
                await asyncio.sleep(0)

        asyncio.run(in_async_block())
        with m.task():
            payload = m.collect()  # one task still running
        assert payload is not None
        perf = payload["performance_metrics"]
        self.assertEqual(perf["tasks_completed"], 5)
        self.assertEqual(perf["tasks_failed"], 3)
        self.assertEqual(perf["tasks_pending"], 1)
        self.assertAlmostEqual(perf["error_rate"], 3 / 8, places=5)
        self.assertAlmostEqual(perf["success_rate"], 5 / 8, places=5)
        self.assertGreater(perf["average_response_time_ms"], 60 / 8 - 0.001)
        self.assertGreater(perf["throughput_per_second"], 0)
        self.assertGreaterEqual(perf["uptime_seconds"], 0)

        m.record_task(100.0, ok=True)
        payload = m.collect()
        assert payload is not None
        perf = payload["performance_metrics"]  # counts are per interval: this one saw two tasks end
        self.assertEqual((perf["tasks_completed"], perf["tasks_failed"], perf["tasks_pending"]), (2, 0, 0))
        self.assertAlmostEqual(perf["average_response_time_ms"], 50.0, delta=30.0)  # the running task + 100 ms
        payload = m.collect()  # an empty window
        assert payload is not None
        perf = payload["performance_metrics"]
        self.assertEqual((perf["error_rate"], perf["success_rate"], perf["average_response_time_ms"]), (0.0, 1.0, 0.0))
        self.assertEqual((perf["tasks_completed"], perf["tasks_failed"], perf["throughput_per_second"]), (0, 0, 0))
        s = m.stats()  # totals since start
        self.assertEqual((s["tasks_completed"], s["tasks_failed"], s["tasks_pending"]), (7, 3, 0))
        handle = m.start_task()
        self.assertEqual(m.stats()["tasks_pending"], 1)
        handle.fail(RuntimeError("x"))
        handle.succeed()  # ending twice counts once
        self.assertEqual((m.stats()["tasks_failed"], m.stats()["tasks_completed"], m.stats()["tasks_pending"]), (4, 7, 0))

    def test_ai_and_custom_metrics(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, collect_system_metrics=False)
        self.assertNotIn("ai_metrics", m.collect() or {})  # nothing recorded, AI monitoring off
        m.record_tokens(100, 2.0)
        m.record_tokens(50, 0.5)
        m.record_inference(10)
        m.record_inference(30)
        m.record_api_call(100)
        m.record_api_call(200, ok=False)
        m.set_context_length(4096)
        m.record_accuracy(0.9)
        m.record_confidence(0.5)
        m.set_metric("queue_depth", 4)
        m.set_metric("model", "gpt-4o")
        m.set_metric("llm", {"calls": 3})
        errors = m.stats()["errors"]
        m.record_accuracy(1.5)  # out of range: ignored, counted, never raised
        m.record_tokens(-1)
        m.record_inference(float("nan"))
        m.set_metric("bad", object())
        m.set_metric("inf", float("inf"))
        self.assertEqual(m.stats()["errors"], errors + 5)
        payload = m.collect()
        assert payload is not None
        ai = payload["ai_metrics"]
        self.assertEqual(ai["tokens_processed"], 150)
        self.assertAlmostEqual(ai["tokens_per_second"], 60.0)
        self.assertAlmostEqual(ai["model_inference_time_ms"], 20.0)
        self.assertAlmostEqual(ai["api_call_latency_ms"], 150.0)
        self.assertEqual(ai["api_calls_made"], 2)
        self.assertEqual(ai["context_length"], 4096)
        self.assertAlmostEqual(ai["model_accuracy"], 0.9)
        self.assertAlmostEqual(ai["confidence_score"], 0.5)
        custom = payload["custom_metrics"]
        self.assertEqual(custom["queue_depth"], 4)
        self.assertEqual(custom["model"], "gpt-4o")
        self.assertEqual(custom["llm"], {"calls": 3})
        self.assertEqual(custom["api_calls_failed"], 1)
        self.assertNotIn("bad", custom)
        self.assertNotIn("inf", custom)
        m.set_metric("model", None)
        m.increment_metric("retries", 2)
        m.increment_metric("retries")
        payload = m.collect()
        assert payload is not None
        custom = payload["custom_metrics"]
        self.assertNotIn("model", custom)
        self.assertEqual((custom["retries"], custom["api_calls_failed"]), (3, 0))  # counters: per interval
        ai = payload["ai_metrics"]
        self.assertEqual((ai["tokens_processed"], ai["tokens_per_second"], ai["api_calls_made"]), (0, 0, 0))
        self.assertNotIn("model_inference_time_ms", ai)  # a mean over the interval: none
        self.assertAlmostEqual(ai["model_accuracy"], 0.9)  # kept until a new one comes
        self.assertEqual(ai["context_length"], 4096)
        m.remove_metric("retries")
        m.record_inference(40, tokens=80, confidence=0.25)
        payload = m.collect()
        assert payload is not None
        self.assertNotIn("retries", payload["custom_metrics"])
        ai = payload["ai_metrics"]
        self.assertEqual((ai["tokens_processed"], ai["tokens_per_second"]), (80, 2000))
        self.assertEqual((ai["model_inference_time_ms"], ai["confidence_score"]), (40, 0.25))

    def test_model_usage_by_interval(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, collect_system_metrics=False)
        m.record_model_usage("gpt-4o-mini", input_tokens=1000, output_tokens=200, calls=1, provider="openai")
        m.record_inference(100, model="gpt-4o-mini", input_tokens=3000, output_tokens=800)
        m.record_tokens(500, model="gpt-4o-mini", type="input")
        m.record_tokens(100, model="gpt-4o-mini")  # no type: output
        m.record_api_call(20, tokens=40, model="my-local-llama")  # tokens of a model call, side unknown: output
        m.record_tokens(7)  # no model: tokens_processed only
        payload = m.collect()
        assert payload is not None
        self.assertEqual(payload["model_usage"], [
            {"model": "gpt-4o-mini", "provider": "openai", "input_tokens": 4500, "output_tokens": 1100, "calls": 2},
            {"model": "my-local-llama", "input_tokens": 0, "output_tokens": 40, "calls": 1},
        ])
        self.assertEqual(payload["ai_metrics"]["tokens_processed"], 5600 + 40 + 7)
        self.assertEqual(payload["ai_metrics"]["api_calls_made"], 1)

        m.record_model_usage("my-local-llama", input_tokens=5, output_tokens=1)
        payload = m.collect()
        assert payload is not None
        # the first interval's usage is not sent again; no call recorded: calls left out (unknown), not 0
        self.assertEqual(payload["model_usage"], [{"model": "my-local-llama", "input_tokens": 5, "output_tokens": 1}])
        self.assertEqual(payload["ai_metrics"]["tokens_processed"], 6)
        payload = m.collect()
        assert payload is not None
        self.assertNotIn("model_usage", payload)
        self.assertEqual(payload["ai_metrics"]["tokens_processed"], 0)

    def test_model_usage_with_a_cost_travels_apart(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, collect_system_metrics=False)
        m.record_model_usage("claude-sonnet-4", input_tokens=100, output_tokens=10, calls=1)
        m.record_inference(10, model="claude-sonnet-4", input_tokens=2000, output_tokens=300, cost_usd=0.25)
        m.record_model_usage("claude-sonnet-4", input_tokens=1000, output_tokens=100, calls=1, cost_usd=0.125)
        payload = m.collect()
        assert payload is not None
        # merged, the entry's cost_usd would replace the price of all its tokens (the first 110 at $0)
        self.assertEqual(payload["model_usage"], [
            {"model": "claude-sonnet-4", "input_tokens": 100, "output_tokens": 10, "calls": 1},
            {"model": "claude-sonnet-4", "input_tokens": 3000, "output_tokens": 400, "calls": 2, "cost_usd": 0.375},
        ])

    def test_model_usage_at_most_50_models_the_largest(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, collect_system_metrics=False)
        for i in range(1, 53):
            m.record_model_usage("m-%02d" % i, input_tokens=i * 10, calls=1)
        payload = m.collect()
        assert payload is not None
        self.assertEqual([u["model"] for u in payload["model_usage"]], ["m-%02d" % i for i in range(52, 2, -1)])
        self.assertEqual(payload["ai_metrics"]["tokens_processed"], 52 * 53 * 10 // 2)  # left-out tokens still count
        for i in range(agentmon.MODELS_PER_INTERVAL_MAX + 5):
            m.record_tokens(1, model="n%d" % i)
        payload = m.collect()
        assert payload is not None
        self.assertEqual(len(payload["model_usage"]), 50)
        self.assertEqual(payload["ai_metrics"]["tokens_processed"], agentmon.MODELS_PER_INTERVAL_MAX + 5)

    def test_bad_model_usage_is_reported_and_records_nothing(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, collect_system_metrics=False)
        m.collect()
        errors = m.stats()["errors"]
        m.record_tokens(5, model="")
        m.record_tokens(5, model="x" * 201)
        m.record_tokens(5, model="gpt-4o", type="prompt")
        m.record_model_usage("gpt-4o", input_tokens=5, output_tokens=-1)
        m.record_model_usage("gpt-4o", calls=1.5)  # type: ignore[arg-type]
        m.record_model_usage("gpt-4o", provider="p" * 101)
        m.record_inference(10, input_tokens=5, cost_usd=0.1)  # a cost needs its model
        m.record_inference(10, model="gpt-4o", tokens=float("nan"))
        m.record_api_call(10, model="gpt-4o", cost_usd=float("inf"))
        m.record_api_call(10, input_tokens=5, output_tokens=-3)
        self.assertEqual(m.stats()["errors"], errors + 10)
        self.assertIn("record_api_call: output_tokens must be", m.stats()["last_error"])
        payload = m.collect()
        assert payload is not None
        self.assertNotIn("model_usage", payload)
        self.assertNotIn("ai_metrics", payload)  # nothing at all was counted

    def test_health_check_results_and_execution_time(self) -> None:
        m = monitor(closed_port_url(), interval_override=MANUAL, health_check_timeout=5.0)

        def slow() -> bool:
            time.sleep(0.05)
            return True

        def raises() -> bool:
            raise ConnectionError("db down")

        async def async_check() -> Any:
            await asyncio.sleep(0)
            return (True, "async fine")

        m.add_health_check("bool", lambda: True)
        m.add_health_check("tuple", lambda: (False, "queue too deep"))
        m.add_health_check("raises", raises)
        m.add_health_check("none", lambda: None)
        m.add_health_check("slow", slow)
        m.add_health_check("async", async_check)
        m.add_health_check("hangs", lambda: time.sleep(2), timeout=0.2)
        results = {r["name"]: r for r in m.run_health_checks()}
        self.assertEqual(set(results), {"bool", "tuple", "raises", "none", "slow", "async", "hangs"})
        self.assertEqual(results["bool"]["status"], True)
        self.assertEqual((results["tuple"]["status"], results["tuple"]["message"]), (False, "queue too deep"))
        self.assertEqual(results["raises"]["status"], False)
        self.assertIn("ConnectionError: db down", results["raises"]["message"])
        self.assertEqual(results["none"]["status"], True)
        self.assertEqual((results["async"]["status"], results["async"]["message"]), (True, "async fine"))
        self.assertFalse(results["hangs"]["status"])
        self.assertIn("timed out", results["hangs"]["message"])
        self.assertGreaterEqual(results["slow"]["execution_time_ms"], 50.0)
        self.assertLess(results["slow"]["execution_time_ms"], 1000.0)
        for r in results.values():
            self.assertGreaterEqual(r["execution_time_ms"], 0.0)
        # While the hung check still runs, the next round reports it failing instead of starting it again.
        again = {r["name"]: r for r in m.run_health_checks()}
        self.assertFalse(again["hangs"]["status"])
        m.remove_health_check("hangs")
        self.assertNotIn("hangs", {r["name"] for r in m.run_health_checks()})

    def test_never_raises_when_server_is_down(self) -> None:
        url = closed_port_url()
        m = monitor(url, interval_override={"metrics_interval_seconds": 0.05, "health_check_interval_seconds": 0.1})
        m.add_health_check("fine", lambda: True)
        self.assertIs(m.start(), m)
        self.assertFalse(m.stats()["registered"], "start() returns without waiting for the server")

        @m.track
        def work() -> int:
            return 1

        self.assertEqual(work(), 1)
        with m.task():
            m.record_tokens(10)
            m.set_metric("k", 1)
        self.assertTrue(wait_until(lambda: m.stats()["failed_sends"] >= 2, 5.0))
        self.assertFalse(m.flush(timeout=0.3))
        self.assertFalse(m.stop(timeout=0.5))  # gives up on the unreachable server and says so
        s = m.stats()
        self.assertFalse(s["registered"])
        self.assertFalse(s["running"])
        self.assertGreater(s["buffered"], 0)
        self.assertIn("registration", s["last_error"])
        self.assertIsNone(m.agent_id)
        # the plain client does raise, with status None
        with self.assertRaises(agentmon.AgentmonError) as ctx:
            agentmon.Client(url, ADMIN_TOKEN, timeout=2).list_agents()
        self.assertIsNone(ctx.exception.status)
        self.assertEqual(ctx.exception.code, "NETWORK_ERROR")
        self.assertTrue(ctx.exception.retryable)


# ------------------------------------------------------------------------ one shared server


class ServerTests(unittest.TestCase):
    """Against one real server for the whole class."""

    server: Server
    url: str
    tmp: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp(prefix="agentmon-py-")
        cls.server = Server(os.path.join(cls.tmp, "data")).start()
        cls.url = cls.server.url

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_data_arrives_and_is_right(self) -> None:
        m = monitor(self.url, interval_override=FAST, tags=["py", "test"], metadata={"team": "ml"})
        self.addCleanup(m.stop, 2.0)

        def slow_check() -> Any:
            time.sleep(0.05)
            return True, "answered"

        m.add_health_check("llm_api", slow_check)
        m.add_health_check("vector_db", lambda: (False, "connection refused"))
        m.set_metric("queue_depth", 4)
        m.record_tokens(1000, 4.0)
        m.record_api_call(120.0)
        m.set_context_length(2048)
        m.record_accuracy(0.75)
        m.record_task(200.0)
        m.start()
        agent_id = m.agent_id
        self.assertIsNotNone(agent_id)
        self.assertTrue(wait_until(lambda: m.stats()["sent"] >= 3 and m.stats()["health_reports"] >= 2, 10))
        self.assertTrue(m.stop(5.0))
        s = m.stats()
        self.assertEqual(s["sent"], s["produced"])
        self.assertEqual((s["dropped"], s["failed_sends"], s["errors"]), (0, 0, 0))

        rows = query_rows(
            self.url,
            agent_id,
            [
                "cpu_usage_percent", "memory_usage_bytes", "memory_usage_percent", "disk_usage_bytes",
                "tasks_completed", "average_response_time_ms", "tokens_processed", "tokens_per_second",
                "api_calls_made", "api_call_latency_ms", "context_length", "model_accuracy", "custom.queue_depth",
            ],
        )
        self.assertEqual(len(rows), s["produced"])  # every payload, once
        first, last = rows[0], rows[-1]
        for row in rows:
            self.assertRegex(row["timestamp"], ISO_Z)
            self.assertTrue(0 <= row["cpu_usage_percent"] <= 100)
            self.assertTrue(0 <= row["memory_usage_percent"] <= 100)
            self.assertGreater(row["memory_usage_bytes"], 1_000_000)
            self.assertGreater(row["disk_usage_bytes"], 0)
            self.assertEqual(row["custom.queue_depth"], 4)
            self.assertEqual(row["context_length"], 2048)  # kept until changed
            self.assertEqual(row["model_accuracy"], 0.75)
        # counts are per interval: what was recorded before start() is in the first payload only
        self.assertEqual([r["tasks_completed"] for r in rows], [1] + [0] * (len(rows) - 1))
        self.assertEqual([r["tokens_processed"] for r in rows], [1000] + [0] * (len(rows) - 1))
        self.assertEqual(first["tokens_per_second"], 250)
        self.assertEqual(first["api_call_latency_ms"], 120)
        self.assertEqual(first["average_response_time_ms"], 200)
        self.assertEqual(last["tokens_per_second"], 0)  # nothing in the last window
        self.assertIsNone(last["api_call_latency_ms"])

        health = api(self.url, "GET", "/agents/%s/health" % agent_id)
        checks = {c["name"]: c for c in health["checks"]}
        self.assertEqual(set(checks), {"llm_api", "vector_db"})
        self.assertEqual((checks["llm_api"]["status"], checks["llm_api"]["message"]), (True, "answered"))
        self.assertGreaterEqual(checks["llm_api"]["execution_time_ms"], 50)
        self.assertEqual((checks["vector_db"]["status"], checks["vector_db"]["message"]), (False, "connection refused"))
        self.assertRegex(checks["llm_api"]["timestamp"], ISO_Z)
        self.assertLess(health["health_score"], 1.0)  # a failing check counts

        agent = api(self.url, "GET", "/agents/%s" % agent_id)
        self.assertEqual((agent["type"], agent["environment"], agent["host"]), ("llm_agent", "test", "test-host"))
        self.assertEqual(agent["tags"], ["py", "test"])
        self.assertEqual(agent["metadata"], {"team": "ml"})
        self.assertNotEqual(agent["status"], "unknown")

    def test_model_usage_priced_by_the_server(self) -> None:
        mini_in, mini_out = 0.15, 0.60  # gpt-4o-mini's shipped price, USD per million tokens
        m = monitor(self.url, interval_override=MANUAL)
        m.start()
        self.assertTrue(wait_until(lambda: m.stats()["sent"] >= 1))
        # gpt-4o-mini: priced by the server, except the last record, whose cost the provider gave
        m.record_inference(120, model="gpt-4o-mini", provider="openai", input_tokens=1000, output_tokens=200)
        m.record_api_call(80, model="gpt-4o-mini", input_tokens=3000, output_tokens=800)
        m.record_tokens(500, model="gpt-4o-mini", type="input")
        m.record_tokens(100, model="gpt-4o-mini")  # no type: output
        m.record_model_usage("gpt-4o-mini", input_tokens=2000, output_tokens=1000, calls=1, cost_usd=0.5)
        # my-local-llama: no price anywhere
        m.record_model_usage("my-local-llama", input_tokens=7000, output_tokens=1500, calls=3, provider="ollama")
        m.record_inference(50, tokens=40, model="my-local-llama")
        m.record_tokens(250)  # no model: tokens_processed only
        m.collect()  # one interval ends here; the next must not repeat it
        m.record_api_call(60, ok=False, model="gpt-4o-mini", input_tokens=400, output_tokens=50)
        self.assertTrue(m.stop(5.0))
        agent_id = m.agent_id or ""

        report = agentmon.Client(self.url, ADMIN_TOKEN).get_usage("now-1h", agent=agent_id, group_by="model")
        rows = {r["model"]: r for r in report["rows"]}
        self.assertEqual(set(rows), {"gpt-4o-mini", "my-local-llama"})
        mini = rows["gpt-4o-mini"]
        self.assertEqual((mini["input_tokens"], mini["output_tokens"], mini["calls"]), (6900, 2150, 4))
        priced_in, priced_out = 1000 + 3000 + 500 + 400, 200 + 800 + 100 + 50  # the rest came with its cost
        self.assertAlmostEqual(mini["cost_usd"], (priced_in * mini_in + priced_out * mini_out) / 1e6 + 0.5, places=12)
        self.assertTrue(mini["priced"])
        llama = rows["my-local-llama"]
        self.assertEqual((llama["input_tokens"], llama["output_tokens"], llama["calls"]), (7000, 1540, 4))
        self.assertEqual((llama["cost_usd"], llama["priced"]), (0, False))
        self.assertEqual(report["unpriced_models"], ["my-local-llama"])
        totals = report["totals"]
        self.assertEqual((totals["input_tokens"], totals["output_tokens"], totals["calls"]), (13900, 3690, 8))
        self.assertAlmostEqual(totals["cost_usd"], mini["cost_usd"], places=12)
        # tokens_processed stays every token, by model or not
        tokens = sum(r["tokens_processed"] or 0 for r in query_rows(self.url, agent_id, ["tokens_processed"]))
        self.assertEqual(tokens, 13900 + 3690 + 250)

    def test_stop_flushes(self) -> None:
        m = monitor(self.url, interval_override=MANUAL)
        m.start()
        self.assertTrue(wait_until(lambda: m.stats()["sent"] >= 1))
        for _ in range(3):
            with m.task():
                pass
        m.set_metric("final_marker", 42)
        m.collect()
        m.collect()
        self.assertTrue(m.stop(5.0))
        s = m.stats()
        self.assertEqual(s["buffered"], 0)
        self.assertEqual(s["sent"], 4)  # first, two collected, and the last one stop() takes
        rows = query_rows(self.url, m.agent_id or "", ["tasks_completed", "custom.final_marker"])
        self.assertEqual(len(rows), 4)
        self.assertEqual([r["tasks_completed"] for r in rows], [0, 3, 0, 0])
        self.assertEqual([r["custom.final_marker"] for r in rows], [None, 42, 42, 42])

    def test_agent_id_stable_and_registers_again_on_401(self) -> None:
        name = "py-stable-" + uuid.uuid4().hex[:8]
        m1 = monitor(self.url, name, interval_override=MANUAL)
        m1.start()
        first_id = m1.agent_id
        self.assertTrue(m1.stop(5.0))
        m2 = monitor(self.url, name, interval_override=MANUAL, version="1.1.0")
        m2.start()
        self.assertTrue(wait_until(lambda: m2.stats()["sent"] >= 1))
        self.assertEqual(m2.agent_id, first_id)  # same name+environment+host: the same agent
        self.assertEqual(api(self.url, "GET", "/agents/%s" % first_id)["version"], "1.1.0")
        # m2's registration revoked m1's key: m1 gets 401, registers again and loses nothing.
        m1.set_metric("from", "m1")
        m1.collect()
        self.assertTrue(m1.flush(5.0))
        self.assertEqual(m1.stats()["registrations"], 2)
        self.assertEqual(m1.agent_id, first_id)
        self.assertTrue(m2.stop(5.0))  # m2 in turn was revoked by m1: it registers again too
        self.assertEqual(m2.stats()["registrations"], 2)
        m3 = monitor(self.url, name, interval_override=MANUAL, agent_id=first_id)
        m3.start()
        self.assertEqual(m3.agent_id, first_id)
        self.assertTrue(m3.stop(5.0))
        page = api(self.url, "GET", "/agents", {"q": name})
        self.assertEqual([a["id"] for a in page["items"]], [first_id])
        total = m1.stats()["sent"] + m2.stats()["sent"] + m3.stats()["sent"]
        self.assertEqual(len(query_rows(self.url, first_id or "", ["tasks_completed"])), total)

    def test_follows_interval_changes(self) -> None:
        name = "py-intervals-" + uuid.uuid4().hex[:8]
        admin = agentmon.Client(self.url, ADMIN_TOKEN)
        reg = admin.register(name=name, type="workflow_agent", version="1", environment="test",
                             deployment_type="local", host="test-host")
        admin.update_config(reg["agent_id"], metrics_interval_seconds=1)
        m = monitor(self.url, name, type="workflow_agent", version="1")  # no override: the server's intervals
        self.addCleanup(m.stop, 2.0)
        m.start()
        self.assertEqual(m.agent_id, reg["agent_id"])
        self.assertEqual(m.stats()["metrics_interval_seconds"], 1)
        self.assertTrue(wait_until(lambda: m.stats()["sent"] >= 3, 5.0))  # every second

        admin.update_config(m.agent_id or "", metrics_interval_seconds=2, health_check_interval_seconds=7)
        self.assertTrue(wait_until(lambda: m.stats()["metrics_interval_seconds"] == 2, 3.0))
        self.assertEqual(m.stats()["health_check_interval_seconds"], 7)
        self.assertGreaterEqual(m.stats()["config_changes"], 1)
        t0 = time.time()
        n0 = m.stats()["produced"]
        time.sleep(4.5)
        n1 = m.stats()["produced"]
        t1 = time.time()
        self.assertIn(n1 - n0, (2, 3))  # every 2 s now, not every second
        m.stop(5.0)
        rows = query_rows(self.url, m.agent_id or "", ["tasks_completed"])
        stamps = [parse_iso(r["timestamp"]) for r in rows]
        later = [t for t in stamps if t0 - 0.1 <= t <= t1 - 0.1]  # not the last payload stop() takes
        gaps = [b - a for a, b in zip(later, later[1:])]
        self.assertTrue(gaps and all(g >= 1.8 for g in gaps), gaps)

    def test_client_helpers_and_errors(self) -> None:
        admin = agentmon.Client(self.url + "/api/v1/", ADMIN_TOKEN)  # a trailing /api/v1 is fine
        name = "py-client-" + uuid.uuid4().hex[:8]
        reg = admin.register({"name": name, "type": agentmon.AgentType.CHATBOT, "version": "2"},
                             deployment_type=agentmon.DeploymentType.DOCKER, host="c1", environment="test")
        agent_id = reg["agent_id"]
        self.assertEqual(reg["status"], "registered")
        self.assertTrue(reg["api_key"])
        self.assertEqual(reg["config"]["metrics_interval_seconds"], 60)
        agent = agentmon.Client(self.url, reg["api_key"])
        receipt = agent.send_metrics({
            "agent_id": agent_id,
            "resource_metrics": {"cpu_usage_percent": 12.5, "memory_usage_bytes": 1024,
                                 "memory_usage_percent": 1.0, "disk_usage_bytes": 2048},
            "performance_metrics": {"tasks_completed": 7},
            "custom_metrics": {"answer": 42},
        })
        self.assertEqual(receipt["accepted"], 1)
        self.assertEqual(receipt["config"]["metrics_interval_seconds"], 60)
        batch = [{
            "agent_id": agent_id,
            "timestamp": agentmon.utc_iso(time.time() - i),
            "resource_metrics": {"cpu_usage_percent": 1, "memory_usage_bytes": 1, "memory_usage_percent": 1,
                                 "disk_usage_bytes": 1},
            "performance_metrics": {},
        } for i in (3, 2)]
        self.assertEqual(agent.send_metrics(batch)["accepted"], 2)
        agent.heartbeat(agent_id)
        health = agent.report_health(agent_id, [{"name": "db", "status": False, "execution_time_ms": 3.5}])
        self.assertEqual(health["failing"], ["db"])
        self.assertEqual(agent.get_health(agent_id)["checks"][0]["name"], "db")

        self.assertEqual(admin.get_agent(agent_id)["name"], name)
        self.assertEqual([a["id"] for a in admin.list_agents(q=name)["items"]], [agent_id])
        self.assertIn(agent_id, [a["id"] for a in admin.list_agents(type="chatbot", page_size=200)["items"]])
        events = admin.list_events(agent_id=agent_id, type="agent_registered")
        self.assertEqual([e["type"] for e in events], ["agent_registered"])
        alerts = admin.list_alerts(agent_id=agent_id)
        self.assertIn("items", alerts)
        self.assertEqual(admin.get_config(agent_id)["agent_id"], agent_id)
        q = admin.query_metrics(agentmon.utc_iso(time.time() - 600), agentmon.utc_iso(time.time() + 60),
                                agent_ids=[agent_id], metric_names=["cpu_usage_percent", "custom.answer"])
        self.assertEqual(q["total_points"], 3)
        self.assertEqual(q["data"][-1]["custom.answer"], 42)
        q = admin.query_metrics(agentmon.utc_iso(time.time() - 600), agentmon.utc_iso(time.time() + 60),
                                agent_ids=[agent_id], metric_names=["tasks_completed"], aggregation="max")
        self.assertEqual(q["data"][0]["tasks_completed"], 7)

        with self.assertRaises(agentmon.AgentmonError) as ctx:
            agentmon.Client(self.url, "not-a-valid-token-at-all").list_agents()
        self.assertEqual((ctx.exception.status, ctx.exception.code), (401, "UNAUTHORIZED"))
        with self.assertRaises(agentmon.AgentmonError) as ctx:
            agent.list_agents()  # an agent's key only reports
        self.assertEqual(ctx.exception.status, 403)
        with self.assertRaises(agentmon.AgentmonError) as ctx:
            admin.get_agent("no-such-agent-" + uuid.uuid4().hex)
        self.assertEqual(ctx.exception.status, 404)
        with self.assertRaises(agentmon.AgentmonError) as ctx:
            agent.send_metrics({"agent_id": agent_id, "performance_metrics": {"error_rate": 2},
                                "resource_metrics": {"cpu_usage_percent": 150, "memory_usage_bytes": 1,
                                                     "memory_usage_percent": 1, "disk_usage_bytes": 1}})
        err = ctx.exception
        self.assertEqual((err.status, err.code), (400, "VALIDATION_FAILED"))
        paths = [d["path"] for d in err.details]
        self.assertIn("/body/resource_metrics/cpu_usage_percent", paths)
        self.assertIn("/body/performance_metrics/error_rate", paths)
        self.assertFalse(err.retryable)


# ------------------------------------------------------------- a server that goes away and back


REPORTER = """
import signal, sys, time
sys.path.insert(0, sys.argv[1])
import agentmon

url, token, name, own_handler = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "own"
if own_handler:
    def own(signum, frame):
        print("own handler", flush=True)
        sys.exit(3)
    signal.signal(signal.SIGTERM, own)
m = agentmon.AgentMonitor(url, token, name, "llm_agent", "1.0.0", "test", host="sigterm-host",
                          interval_override={"metrics_interval_seconds": 3600, "health_check_interval_seconds": 3600})
m.start()
deadline = time.monotonic() + 20
while m.stats()["sent"] < 1 and time.monotonic() < deadline:  # the first payload is out
    time.sleep(0.05)
m.record_task(100.0)
m.set_metric("sigterm_marker", 7)  # only in the payload stop() takes
print("ready", m.agent_id, flush=True)
while True:
    time.sleep(1)
"""


class SigtermTests(unittest.TestCase):
    """A reporter process ended by SIGTERM still delivers what it had buffered."""

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="agentmon-py-sigterm-")
        self.server = Server(os.path.join(self.tmp, "data")).start()
        self.script = os.path.join(self.tmp, "reporter.py")
        with open(self.script, "w") as f:
            f.write(REPORTER)

    def tearDown(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_reporter(self, mode: str) -> Tuple[str, int, str]:
        """Starts the reporter, SIGTERMs it once its first payload is out; its agent id, exit code and output."""
        name = "py-sigterm-" + uuid.uuid4().hex[:8]
        proc = subprocess.Popen(
            [sys.executable, self.script, str(HERE.parent), self.server.url, ADMIN_TOKEN, name, mode],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        self.assertTrue(line.startswith("ready "), line + proc.stdout.read() if not line.startswith("ready ") else line)
        agent_id = line.split()[1]
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        rest = proc.stdout.read()
        proc.stdout.close()
        return agent_id, code, rest

    def assert_flushed(self, agent_id: str) -> None:
        rows = query_rows(self.server.url, agent_id, ["tasks_completed", "custom.sigterm_marker"])
        self.assertEqual([r["custom.sigterm_marker"] for r in rows], [None, 7])
        self.assertEqual([r["tasks_completed"] for r in rows], [0, 1])

    def test_sigterm_flushes_the_buffer_and_exits_143(self) -> None:
        agent_id, code, _ = self.run_reporter("default")
        self.assertEqual(code, 128 + signal.SIGTERM)
        self.assert_flushed(agent_id)

    def test_sigterm_with_the_hosts_own_handler_flushes_then_calls_it(self) -> None:
        agent_id, code, output = self.run_reporter("own")
        self.assertEqual(code, 3)
        self.assertIn("own handler", output)
        self.assert_flushed(agent_id)


class KeyFileTests(unittest.TestCase):
    """The registration token may not take over an agent that reports; key_file keeps the key between runs."""

    REGISTRATION = "agentmon-python-tests-registration-token"

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="agentmon-py-key-")
        self.server = Server(os.path.join(self.tmp, "data"), registration_token=self.REGISTRATION).start()

    def tearDown(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def reporter(self, key_file: Optional[str]) -> agentmon.AgentMonitor:
        m = agentmon.AgentMonitor(
            self.server.url, self.REGISTRATION, "py-keeper", "workflow_agent", "1", "test",
            host="test-host", logger=QUIET, flush_on_exit=False, interval_override=FAST,
            initial_backoff_seconds=0.1, max_backoff_seconds=0.5, key_file=key_file,
        )
        self.addCleanup(m.stop, 1.0)
        return m

    def test_a_restart_with_its_key_file_is_back_at_once_and_one_without_is_refused(self) -> None:
        key_file = os.path.join(self.tmp, "state", "keeper.key")
        first = self.reporter(key_file).start()
        self.assertTrue(wait_until(lambda: first.stats()["sent"] >= 1))
        with open(key_file, encoding="utf-8") as f:
            kept = json.load(f)
        self.assertEqual(kept["agent_id"], first.agent_id)
        self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)
        self.assertTrue(first.stop(5.0))

        # The agent still counts as reporting; the kept key lets the restarted process straight back in.
        second = self.reporter(key_file).start()
        self.assertEqual(second.stats()["registrations"], 1, second.stats()["last_error"])
        self.assertEqual(second.agent_id, first.agent_id)
        self.assertTrue(wait_until(lambda: second.stats()["sent"] >= 2))

        # A run without the key is refused while the second reports, and says why.
        third = self.reporter(None).start()
        self.assertEqual(third.stats()["registrations"], 0)
        self.assertIn("AGENT_IN_USE", third.stats()["last_error"] or "")
        sent = second.stats()["sent"]
        self.assertTrue(wait_until(lambda: second.stats()["sent"] >= sent + 2), "the second run keeps its key")
        self.assertEqual(second.stats()["registrations"], 1)

    def test_an_unreadable_key_file_is_logged_and_the_agent_registers_afresh(self) -> None:
        key_file = os.path.join(self.tmp, "broken.key")
        with open(key_file, "w", encoding="utf-8") as f:
            f.write("not json")
        m = self.reporter(key_file).start()
        self.assertEqual(m.stats()["registrations"], 1)
        self.assertGreaterEqual(m.stats()["errors"], 1)
        with open(key_file, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["agent_id"], m.agent_id)


class RestartTests(unittest.TestCase):
    """The server stops mid-run and comes back on the same port and data dir."""

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="agentmon-py-restart-")
        self.server = Server(os.path.join(self.tmp, "data")).start()

    def tearDown(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_restart_loses_nothing_within_the_bound_and_reports_drops_past_it(self) -> None:
        url, port = self.server.url, self.server.port
        keep = monitor(url, interval_override=FAST, buffer_size=1000)
        keep.add_health_check("alive", lambda: True)
        small = monitor(url, interval_override=MANUAL, buffer_size=5)
        self.addCleanup(keep.stop, 1.0)
        self.addCleanup(small.stop, 1.0)
        keep.start()
        small.start()
        keep_id, small_id = keep.agent_id, small.agent_id
        self.assertTrue(wait_until(lambda: keep.stats()["sent"] >= 2 and small.stats()["sent"] >= 1))

        self.server.stop()
        for i in range(12):  # keep records on (its thread collects too); small overflows its buffer of 5
            keep.set_metric("seq", i)
            keep.collect()
            if i < 8:
                small.set_metric("seq", i)
                small.collect()
            time.sleep(0.1)
        self.assertTrue(wait_until(lambda: keep.stats()["failed_sends"] >= 2, 5.0))
        self.assertEqual(small.stats()["dropped"], 3)
        self.assertEqual(small.stats()["buffered"], 5)
        self.assertEqual(keep.stats()["dropped"], 0)

        self.server = Server(os.path.join(self.tmp, "data"), port=port).start()
        self.assertEqual(self.server.port, port)
        self.assertTrue(small.flush(10.0))
        self.assertTrue(wait_until(lambda: keep.stats()["buffered"] == 0 and keep.stats()["health_reports"] >= 2, 10))
        small.set_metric("seq", 8)
        small.collect()
        self.assertTrue(keep.stop(5.0))
        self.assertTrue(small.stop(5.0))
        self.assertEqual(keep.agent_id, keep_id)
        self.assertEqual(small.agent_id, small_id)

        ks = keep.stats()
        rows = query_rows(url, keep_id or "", ["tasks_completed", "custom.seq", "custom.agentmon_dropped_payloads"])
        self.assertEqual(len(rows), ks["produced"])  # nothing lost
        self.assertEqual(ks["sent"], ks["produced"])
        self.assertTrue(set(range(12)) <= {r["custom.seq"] for r in rows})
        self.assertTrue(all(r["custom.agentmon_dropped_payloads"] is None for r in rows))

        ss = small.stats()
        self.assertEqual((ss["dropped"], ss["dropped_unreported"]), (3, 0))
        rows = query_rows(url, small_id or "", ["custom.seq", "custom.agentmon_dropped_payloads"])
        self.assertEqual(len(rows), ss["produced"] - 3)
        # the first payload (before the outage), the newest 5 of 8 recorded while away, then two more
        self.assertEqual([r["custom.seq"] for r in rows], [None, 3, 4, 5, 6, 7, 8, 8])
        # the server is told about the 3 drops once, on the newest payload of the batch that got through
        dropped = [r["custom.agentmon_dropped_payloads"] or 0 for r in rows]
        self.assertEqual(dropped, [0, 0, 0, 0, 0, 3, 0, 0])


if __name__ == "__main__":
    unittest.main()
