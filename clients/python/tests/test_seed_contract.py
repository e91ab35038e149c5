"""agentmon's answers, read by the seed's own pydantic models (packages/schema/seed/models.py), from a real server.

Agents are registered and fed with payloads that pydantic itself built and serialised (naive UTC
datetimes, every metric group), thresholds are crossed and health checks fail, and then every read
route's answer is parsed with the model the seed gives for it: RegisterResponse, AgentSummary,
AgentInfo, MonitoringConfig, HealthResponse, MetricsResponse, Alert, SystemEvent, DashboardData,
DashboardConfig. Bad input the models reject is rejected by the server too, with a 400 naming the
field, and leaves nothing behind.

Needs pydantic 2 (skipped with the reason when it is missing).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from test_agentmon import ADMIN_TOKEN, REPO_ROOT, Server, api

try:
    import pydantic

    PYDANTIC = pydantic.VERSION.startswith("2.")
except ImportError:  # pragma: no cover - depends on the machine
    PYDANTIC = False

if PYDANTIC:
    sys.path.insert(0, str(REPO_ROOT / "packages" / "schema" / "seed"))
    import models as seed  # the seed's pydantic models, verbatim


def utcnow() -> datetime:
    """Naive UTC, as the seed's default_factory=datetime.utcnow gives."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def send(url: str, method: str, path: str, body: Any = None, raw: Optional[bytes] = None) -> Tuple[int, Any]:
    """Any request with the admin token; answers (status, parsed body) for 2xx and 4xx alike."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url + "/api/v1" + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + ADMIN_TOKEN, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        text = err.read()
        return err.code, json.loads(text) if text else None


@unittest.skipUnless(PYDANTIC, "pydantic 2 is not installed")
class SeedContract(unittest.TestCase):
    server: Server
    data_dir: str
    agents: List[Dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.data_dir = tempfile.mkdtemp(prefix="agentmon-seed-")
        cls.server = Server(cls.data_dir).start()
        url = cls.server.url
        cls.agents = []
        for i, (kind, deploy) in enumerate([("llm_agent", "kubernetes"), ("ml_model", "docker"), ("chatbot", "cloud")]):
            info = seed.AgentInfo(name="seed-%d" % i, type=kind, version="1.%d.0" % i, description="from pydantic",
                                  deployment_type=deploy, host="host-%d" % i, port=8000 + i, environment="production",
                                  config={"model": "m-%d" % i}, tags=["seed", kind], metadata={"team": "contract"})
            status, body = send(url, "POST", "/agents", raw=info.model_dump_json().encode())
            assert status == 201, (status, body)
            cls.agents.append(body)
        first = cls.agents[0]["agent_id"]
        # Payloads as pydantic writes them: naive datetimes, every group, the first agent over its CPU line.
        for n, agent in enumerate(cls.agents):
            for k in range(3):
                payload = seed.AgentMetrics(
                    agent_id=agent["agent_id"],
                    timestamp=utcnow() - timedelta(seconds=30 - 10 * k),
                    resource_metrics=seed.ResourceMetrics(
                        cpu_usage_percent=97.5 if (n == 0 and k == 2) else 20.0 + k, memory_usage_bytes=512 * 2**20,
                        memory_usage_percent=40.0, disk_usage_bytes=10 * 2**30, network_io_bytes={"rx": 10, "tx": 20},
                        gpu_usage_percent=55.0, gpu_memory_usage_bytes=2**30),
                    performance_metrics=seed.PerformanceMetrics(
                        tasks_completed=10 + k, tasks_failed=k, tasks_pending=1, average_response_time_ms=250.0,
                        throughput_per_second=2.5, error_rate=0.01, success_rate=0.99, uptime_seconds=3600 + k),
                    ai_metrics=seed.AIMetrics(tokens_processed=1000, tokens_per_second=50.0, model_inference_time_ms=120.0,
                                              api_calls_made=3, api_call_latency_ms=300.0, context_length=4096,
                                              model_accuracy=0.9, confidence_score=0.8),
                    custom_metrics={"queue_depth": 4 + k, "mode": "fast"},
                    health_checks={"llm_api": True, "vector_db": not (n == 1 and k == 2)},
                    alerts=["disk almost full"] if (n == 2 and k == 2) else [],
                )
                status, body = send(url, "POST", "/agents/%s/metrics" % agent["agent_id"], raw=payload.model_dump_json().encode())
                assert status == 202, (status, body)
        checks = [seed.HealthCheck(name="llm_api", status=True, message="ok", execution_time_ms=12.5),
                  seed.HealthCheck(name="db", status=False, message="timeout", execution_time_ms=5000)]
        body = "[" + ",".join(c.model_dump_json() for c in checks) + "]"
        status, answer = send(url, "POST", "/agents/%s/health" % first, raw=body.encode())
        assert status in (200, 201, 202), (status, answer)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def get(self, path: str, **query: Any) -> Any:
        return api(self.server.url, "GET", path, query or None)

    def test_register_response(self) -> None:
        for body in self.agents:
            answer = seed.RegisterResponse.model_validate(body)
            self.assertEqual(answer.status, "registered")
            self.assertEqual(answer.config.agent_id, answer.agent_id)

    def test_agents_list_and_detail(self) -> None:
        page = self.get("/agents", page_size=200)
        self.assertEqual(page["total"], 3)
        for item in page["items"]:
            seed.AgentSummary.model_validate(item)
            detail = self.get("/agents/" + item["id"])
            info = seed.AgentInfo.model_validate(detail)
            self.assertEqual(info.id, item["id"])
            self.assertEqual(info.metadata, {"team": "contract"})

    def test_monitoring_config(self) -> None:
        for agent in self.agents:
            config = seed.MonitoringConfig.model_validate(self.get("/agents/%s/config" % agent["agent_id"]))
            self.assertEqual(config.cpu_threshold, 80.0)
            self.assertEqual(config.metrics_interval_seconds, 60)

    def test_health_response(self) -> None:
        first = self.agents[0]["agent_id"]
        health = seed.HealthResponse.model_validate(self.get("/agents/%s/health" % first))
        self.assertEqual(health.agent_id, first)
        self.assertIn("db", [c.name for c in health.checks])
        self.assertTrue(any(a.metric_name == "cpu_usage_percent" for a in health.recent_alerts))
        self.assertLess(health.health_score, 1.0)

    def test_metrics_response(self) -> None:
        now = utcnow()
        query = seed.MetricsQuery(agent_ids=[a["agent_id"] for a in self.agents],
                                  start_time=now - timedelta(hours=1), end_time=now + timedelta(minutes=1),
                                  metric_names=["cpu_usage_percent", "tokens_per_second", "custom.queue_depth"],
                                  aggregation="avg", interval="1h")
        status, body = send(self.server.url, "POST", "/metrics/query", raw=query.model_dump_json().encode())
        self.assertEqual(status, 200, body)
        answer = seed.MetricsResponse.model_validate(body)
        self.assertGreaterEqual(answer.total_points, 3)
        self.assertEqual(sorted(answer.agents), sorted(a["agent_id"] for a in self.agents))
        raw = seed.MetricsResponse.model_validate(self.get(
            "/metrics/query", agent_ids=self.agents[1]["agent_id"], metric_names="tasks_completed",
            start_time=(now - timedelta(hours=1)).isoformat(), end_time=(now + timedelta(minutes=1)).isoformat()))
        self.assertEqual([row["tasks_completed"] for row in raw.data], [10, 11, 12])

    def test_alerts(self) -> None:
        page = self.get("/alerts", active="true")
        alerts = [seed.Alert.model_validate(item) for item in page["items"]]
        metrics = {(a.agent_id, a.metric_name) for a in alerts}
        self.assertIn((self.agents[0]["agent_id"], "cpu_usage_percent"), metrics)
        cpu = next(a for a in alerts if a.metric_name == "cpu_usage_percent")
        self.assertEqual(cpu.threshold, 80.0)
        self.assertEqual(cpu.current_value, 97.5)
        self.assertTrue(cpu.is_active)
        self.assertIsNone(cpu.resolved_at)

    def test_events(self) -> None:
        page = self.get("/events", limit=500)
        events = [seed.SystemEvent.model_validate(item) for item in page["items"]]
        types = {e.type for e in events}
        for wanted in ("agent_registered", "metric_threshold_exceeded", "health_check_failed"):
            self.assertIn(wanted, types)

    def test_dashboard(self) -> None:
        data = seed.DashboardData.model_validate(self.get("/dashboard"))
        self.assertEqual(len(data.agents), 3)
        self.assertGreaterEqual(len(data.active_alerts), 1)
        config = seed.DashboardConfig.model_validate(self.get("/dashboard/config"))
        self.assertGreaterEqual(config.refresh_interval_seconds, 1)

    def test_what_pydantic_rejects_the_server_rejects(self) -> None:
        agent = self.agents[2]["agent_id"]
        good = json.loads(seed.AgentMetrics(
            agent_id=agent,
            resource_metrics=seed.ResourceMetrics(cpu_usage_percent=1, memory_usage_bytes=1, memory_usage_percent=1, disk_usage_bytes=1),
            performance_metrics=seed.PerformanceMetrics()).model_dump_json())
        before = self.get("/metrics/query", agent_ids=agent, metric_names="cpu_usage_percent",
                          start_time="2000-01-01T00:00:00Z", end_time="2100-01-01T00:00:00Z")["total_points"]
        cases = [
            (("resource_metrics", "cpu_usage_percent"), 101),
            (("resource_metrics", "memory_usage_bytes"), -1),
            (("performance_metrics", "error_rate"), 1.5),
            (("performance_metrics", "tasks_completed"), 2.5),
            (("ai_metrics",), {"model_accuracy": 2}),
            (("health_checks",), {"x": "maybe"}),
            (("timestamp",), "yesterday"),
        ]
        for path, value in cases:
            bad = json.loads(json.dumps(good))
            target = bad
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            with self.assertRaises(pydantic.ValidationError, msg=str(path)):
                seed.AgentMetrics.model_validate(bad)
            status, body = send(self.server.url, "POST", "/agents/%s/metrics" % agent, bad)
            self.assertEqual(status, 400, (path, body))
            named = " ".join(d["path"] for d in body["details"])
            self.assertIn(path[0], named, (path, body))
        missing = json.loads(json.dumps(good))
        del missing["resource_metrics"]["cpu_usage_percent"]
        status, body = send(self.server.url, "POST", "/agents/%s/metrics" % agent, missing)
        self.assertEqual(status, 400)
        self.assertIn("cpu_usage_percent", json.dumps(body["details"]))
        after = self.get("/metrics/query", agent_ids=agent, metric_names="cpu_usage_percent",
                         start_time="2000-01-01T00:00:00Z", end_time="2100-01-01T00:00:00Z")["total_points"]
        self.assertEqual(after, before, "a rejected payload wrote nothing")
        for field, value in (("metrics_interval_seconds", 0), ("health_check_interval_seconds", 301),
                             ("cpu_threshold", -1), ("error_rate_threshold", 2), ("logs_retention_days", 91)):
            status, body = send(self.server.url, "PATCH", "/agents/%s/config" % agent, {field: value})
            self.assertEqual(status, 400, (field, body))
            self.assertIn(field, json.dumps(body["details"]))
        config = seed.MonitoringConfig.model_validate(self.get("/agents/%s/config" % agent))
        self.assertEqual((config.metrics_interval_seconds, config.cpu_threshold), (60, 80.0))


if __name__ == "__main__":
    unittest.main()
