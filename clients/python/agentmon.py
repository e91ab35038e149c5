"""agentmon: the Python client for the agentmon monitoring server.

One module, standard library only, Python 3.9+. Copy this file next to your agent.

Two pieces:

* ``AgentMonitor``: what an agent embeds. ``start()`` registers the agent and starts a daemon thread
  that collects resource, performance and AI metrics at the server's intervals, runs health checks,
  sends heartbeats and follows interval changes the server hands back. Payloads wait in a bounded
  buffer while the server is away (oldest dropped first, the drops told to the server later in the
  custom metric ``agentmon_dropped_payloads``), go out in batches with exponential backoff and
  jitter, and ``stop()`` flushes them. Nothing it does raises into the agent's code: errors are
  logged and counted (``stats()``).

It follows the TypeScript SDK (``packages/sdk``): the same payload figures and stats, in Python's
naming. Counts (tasks, tokens, API calls, tokens and calls by model, ``increment_metric`` counters)
are per interval, so ``sum`` over a time range is the total; means are over the interval; gauges
(``set_metric``, context length, accuracy) are kept until changed.
* ``Client``: thin REST helpers for the agentmon API that raise ``AgentmonError`` on 4xx/5xx.

Wire contract: JSON with the data model's snake_case names, timestamps ISO 8601 UTC with ``Z``.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import inspect
import json
import logging
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

__all__ = [
    "AgentMonitor",
    "AgentType",
    "AgentmonError",
    "Client",
    "DeploymentType",
    "ResourceCollector",
    "utc_iso",
]

__version__ = "0.1.0"

#: Most payloads ``POST /api/v1/metrics`` takes in one request.
MAX_BATCH = 1000
#: Custom metric: payloads the buffer dropped since the last payload that got through.
DROPPED_METRIC = "agentmon_dropped_payloads"
#: Most models one payload's ``model_usage`` carries (the server refuses a payload with more).
MAX_MODELS_PER_PAYLOAD = 50
#: Most distinct models one interval keeps (a host inventing model names must not grow memory without end).
MODELS_PER_INTERVAL_MAX = 1000
#: Longest model and provider names ``model_usage`` takes.
MODEL_MAX_CHARS = 200
PROVIDER_MAX_CHARS = 100
#: Collection settings the server echoes in its receipts, with the data model's defaults.
DEFAULT_SETTINGS: Dict[str, Any] = {
    "metrics_interval_seconds": 60,
    "health_check_interval_seconds": 30,
    "enable_resource_monitoring": True,
    "enable_performance_monitoring": True,
    "enable_ai_monitoring": False,
}

_USER_AGENT = "agentmon-python/%s" % __version__
_log = logging.getLogger("agentmon")

F = TypeVar("F", bound=Callable[..., Any])


class AgentType(str, Enum):
    """Types of agents that can be monitored."""

    LLM_AGENT = "llm_agent"
    ML_MODEL = "ml_model"
    CHATBOT = "chatbot"
    API_AGENT = "api_agent"
    WORKFLOW_AGENT = "workflow_agent"
    CUSTOM = "custom"


class DeploymentType(str, Enum):
    """Where the agent is deployed."""

    DOCKER = "docker"
    KUBERNETES = "kubernetes"
    LOCAL = "local"
    CLOUD = "cloud"
    SERVERLESS = "serverless"


# --------------------------------------------------------------------------------------------- wire


def utc_iso(value: Union[datetime, float, None] = None) -> str:
    """An ISO 8601 UTC timestamp with ``Z`` and milliseconds; a naive datetime is taken as UTC.

    ``value`` may be a datetime, a Unix time in seconds, or None for now.
    """
    if value is None:
        dt = datetime.now(timezone.utc)
    elif isinstance(value, datetime):
        dt = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    else:
        dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def _jsonable(value: Any) -> Any:
    """Converts what a caller may hand in (datetimes, enums, tuples, sets) to JSON values."""
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _amount_problem(**values: Any) -> Optional[str]:
    """The first of ``values`` (in order) that is not a finite number >= 0, as a message; None if none."""
    for name, value in values.items():
        if value is not None and (not _finite(value) or value < 0):
            return "%s must be a finite number >= 0" % name
    return None


def _usage_problem(
    model: Any,
    provider: Any = None,
    input_tokens: Any = None,
    output_tokens: Any = None,
    calls: Any = None,
    cost_usd: Any = None,
) -> Optional[str]:
    """What makes a model usage record one the payload cannot carry (``ModelUsage``), or None."""
    if not isinstance(model, str) or not model.strip() or len(model) > MODEL_MAX_CHARS:
        return "model must be a non-empty string of at most %d characters" % MODEL_MAX_CHARS
    if provider is not None and (not isinstance(provider, str) or len(provider) > PROVIDER_MAX_CHARS):
        return "provider must be a string of at most %d characters" % PROVIDER_MAX_CHARS
    problem = _amount_problem(input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost_usd)
    if problem:
        return problem
    if calls is not None and (not isinstance(calls, int) or isinstance(calls, bool) or calls < 0):
        return "calls must be a whole number >= 0"
    return None


def _tally() -> Dict[str, Any]:
    return {"input": 0, "output": 0, "calls": 0, "calls_seen": False, "cost": 0.0}


def _usage_entries(model: str, usage: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A model's ``model_usage`` entries: none, one, or two when part of its tokens came with a cost.

    The part the host gave a cost for travels apart from the part the server is to price, because an
    entry's ``cost_usd`` replaces the pricing of all its tokens: merged, the others would count $0.
    """
    out = []
    for part, with_cost in (("unpriced", False), ("costed", True)):
        t = usage[part]
        if t is None or (not with_cost and not (t["input"] or t["output"] or t["calls_seen"])):
            continue
        entry: Dict[str, Any] = {"model": model}
        if usage["provider"]:
            entry["provider"] = usage["provider"]
        entry["input_tokens"] = t["input"]
        entry["output_tokens"] = t["output"]
        if t["calls_seen"]:  # else the calls are unknown, not 0
            entry["calls"] = t["calls"]
        if with_cost:
            entry["cost_usd"] = t["cost"]
        out.append(entry)
    return out


class AgentmonError(Exception):
    """An error answer of the agentmon API (or no answer: ``status`` None, code ``NETWORK_ERROR``).

    ``code`` is the server's stable error code (``VALIDATION_FAILED``, ``UNAUTHORIZED``, ...),
    ``details`` its list of ``{path, message}``; ``retry_after`` the Retry-After seconds, if any.
    """

    def __init__(
        self,
        status: Optional[int],
        code: str,
        message: str,
        details: Optional[List[Dict[str, Any]]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__("%s %s: %s" % (status if status is not None else "-", code, message))
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """True when trying again later may work: no answer, 408, 429 or 5xx."""
        return self.status is None or self.status in (408, 429) or self.status >= 500


class Client:
    """REST helpers for the agentmon API (``/api/v1``); every method raises ``AgentmonError`` on failure.

    ``url`` is the server's address (``http://127.0.0.1:8080``; a trailing ``/api/v1`` is fine),
    ``token`` the admin token, the registration token or an agent's ``api_key``.
    """

    def __init__(self, url: str, token: Optional[str], timeout: float = 10.0, user_agent: str = _USER_AGENT) -> None:
        if not url:
            raise ValueError("url is required")
        base = url.rstrip("/")
        if base.endswith("/api/v1"):
            base = base[: -len("/api/v1")]
        self.url = base
        self.token = token
        self.timeout = timeout
        self.user_agent = user_agent

    # ---------------------------------------------------------------- transport

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        token: Optional[str] = None,
        timeout: Optional[float] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """Sends one request to ``/api/v1<path>``; returns the decoded JSON answer (None for 204)."""
        url = self.url + "/api/v1" + path
        if query:
            pairs = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None
        sent = {"Accept": "application/json", "User-Agent": self.user_agent}
        sent.update(headers or {})
        if body is not None:
            data = json.dumps(_jsonable(body), allow_nan=False, separators=(",", ":")).encode("utf-8")
            sent["Content-Type"] = "application/json"
        tok = token if token is not None else self.token
        if tok:
            sent["Authorization"] = "Bearer " + tok
        req = urllib.request.Request(url, data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout if timeout is not None else self.timeout) as resp:
                raw = resp.read()
                if resp.status == 204 or not raw:
                    return None
                return json.loads(raw.decode("utf-8"))
        except urllib.error.HTTPError as err:
            raise _http_error(err) from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            # ValueError: an answer that is not JSON (something else listens there).
            reason = getattr(err, "reason", err)
            raise AgentmonError(None, "NETWORK_ERROR", "%s %s: %s" % (method, url, reason)) from None

    # ---------------------------------------------------------------- agents

    def register(self, info: Optional[Mapping[str, Any]] = None, agent_key: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """``POST /agents``: registers an AgentInfo (``info`` and/or keyword fields).

        Returns the RegisterResponse with ``agent_id``, ``api_key`` (shown once) and ``config``.
        Registering the same name+environment+host, or the same ``id``, again gives the same
        ``agent_id`` and a new key. With the registration token, an agent that is reporting is
        re-registered only when ``agent_key`` (sent as X-Agent-Key) is its current key; otherwise
        409 AGENT_IN_USE, with ``retry_after`` the seconds until it counts as gone.
        """
        body = dict(info or {})
        body.update(fields)
        return self.request("POST", "/agents", body, headers={"X-Agent-Key": agent_key} if agent_key else None)

    def list_agents(self, **filters: Any) -> Dict[str, Any]:
        """``GET /agents``: a page ``{items, total, page, page_size}`` of AgentSummary.

        Filters: status, type, environment, tag, q, sort, page, page_size.
        """
        return self.request("GET", "/agents", query=filters)

    def get_agent(self, agent_id: str) -> Dict[str, Any]:
        """``GET /agents/:id``: AgentInfo plus health_score, status_reason, health_components."""
        return self.request("GET", "/agents/" + _seg(agent_id))

    def update_agent(self, agent_id: str, **fields: Any) -> Dict[str, Any]:
        """``PATCH /agents/:id``: name, version, description, tags, metadata, status=maintenance, ..."""
        return self.request("PATCH", "/agents/" + _seg(agent_id), fields)

    def delete_agent(self, agent_id: str, purge: bool = False) -> None:
        """``DELETE /agents/:id``; ``purge=True`` deletes its metrics too."""
        self.request("DELETE", "/agents/" + _seg(agent_id), query={"purge": purge} if purge else None)

    def get_config(self, agent_id: str) -> Dict[str, Any]:
        """``GET /agents/:id/config``: the agent's MonitoringConfig."""
        return self.request("GET", "/agents/%s/config" % _seg(agent_id))

    def update_config(self, agent_id: str, **fields: Any) -> Dict[str, Any]:
        """``PATCH /agents/:id/config``: changes the MonitoringConfig fields named."""
        return self.request("PATCH", "/agents/%s/config" % _seg(agent_id), fields)

    # ---------------------------------------------------------------- ingest (an agent's api_key)

    def heartbeat(self, agent_id: str, timeout: Optional[float] = None) -> None:
        """``POST /agents/:id/heartbeat``."""
        self.request("POST", "/agents/%s/heartbeat" % _seg(agent_id), timeout=timeout)

    def send_metrics(
        self, metrics: Union[Mapping[str, Any], Sequence[Mapping[str, Any]]], timeout: Optional[float] = None
    ) -> Dict[str, Any]:
        """Sends one AgentMetrics (``POST /agents/:id/metrics``) or a list of up to 1000 (``POST /metrics``).

        Returns the receipt ``{accepted, series_points, agents, config?}``.
        """
        if isinstance(metrics, Mapping):
            agent_id = metrics.get("agent_id")
            if not agent_id:
                raise ValueError("an AgentMetrics payload needs agent_id")
            return self.request("POST", "/agents/%s/metrics" % _seg(str(agent_id)), metrics, timeout=timeout)
        return self.request("POST", "/metrics", list(metrics), timeout=timeout)

    def report_health(
        self, agent_id: str, checks: Sequence[Mapping[str, Any]], timeout: Optional[float] = None
    ) -> Dict[str, Any]:
        """``POST /agents/:id/health`` with a list of HealthCheck; returns ``{accepted, failing, health_score, status, config?}``."""
        return self.request("POST", "/agents/%s/health" % _seg(agent_id), list(checks), timeout=timeout)

    def get_health(self, agent_id: str) -> Dict[str, Any]:
        """``GET /agents/:id/health``: HealthResponse plus the score's components."""
        return self.request("GET", "/agents/%s/health" % _seg(agent_id))

    # ---------------------------------------------------------------- reading

    def query_metrics(
        self,
        start_time: Union[datetime, str],
        end_time: Union[datetime, str],
        agent_ids: Optional[Sequence[str]] = None,
        metric_names: Optional[Sequence[str]] = None,
        aggregation: Optional[str] = None,
        interval: Optional[str] = None,
        group_by: Optional[str] = None,
        fill: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``POST /metrics/query``: a MetricsQuery; returns the MetricsResponse (``data`` rows)."""
        body: Dict[str, Any] = {"start_time": start_time, "end_time": end_time}
        for key, value in (
            ("agent_ids", list(agent_ids) if agent_ids is not None else None),
            ("metric_names", list(metric_names) if metric_names is not None else None),
            ("aggregation", aggregation),
            ("interval", interval),
            ("group_by", group_by),
            ("fill", fill),
        ):
            if value is not None:
                body[key] = value
        return self.request("POST", "/metrics/query", body)

    def get_usage(
        self,
        start_time: Union[datetime, str] = "now-24h",
        end_time: Union[datetime, str, None] = None,
        group_by: Optional[str] = None,
        agent: Optional[str] = None,
        environment: Optional[str] = None,
        model: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /usage``: tokens in and out, model calls and spend over a range.

        ``group_by`` is ``"model"`` (default), ``"agent"`` or ``"agent_model"``; ``agent`` an id or name.
        Returns ``{totals, rows, unpriced_models, ...}``: each row's ``input_tokens``,
        ``output_tokens``, ``calls``, ``cost_usd`` and ``priced``.
        """
        query = {"start_time": start_time, "end_time": end_time, "group_by": group_by, "agent": agent,
                 "environment": environment, "model": model}
        return self.request("GET", "/usage", query=query)

    def list_alerts(self, **filters: Any) -> Dict[str, Any]:
        """``GET /alerts``: a page of alerts, newest first (active, severity, agent_id, since, until, page, page_size)."""
        return self.request("GET", "/alerts", query=filters)

    def list_events(self, **filters: Any) -> List[Dict[str, Any]]:
        """``GET /events``: SystemEvents, newest first (type, agent_id, severity, since, until, limit)."""
        answer = self.request("GET", "/events", query=filters)
        return list(answer.get("items", [])) if isinstance(answer, dict) else []


def _seg(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, (list, tuple, set)):
        return ",".join(_query_value(v) for v in value)
    return str(value)


def _http_error(err: urllib.error.HTTPError) -> AgentmonError:
    code, message, details = "HTTP_%d" % err.code, str(err.reason or ""), []  # type: Tuple[str, str, List[Any]]
    try:
        raw = err.read()
        body = json.loads(raw.decode("utf-8")) if raw else None
        if isinstance(body, dict):
            code = str(body.get("error") or code)
            message = str(body.get("message") or message)
            if isinstance(body.get("details"), list):
                details = body["details"]
    except Exception:  # noqa: BLE001 - an unreadable error body still is the error
        pass
    retry_after = None
    header = err.headers.get("Retry-After") if err.headers is not None else None
    if header:
        try:
            retry_after = max(0.0, float(header))
        except ValueError:
            retry_after = None
    return AgentmonError(err.code, code, message, details, retry_after)


# ------------------------------------------------------------------------------- resource metrics


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


class ResourceCollector:
    """Reads ResourceMetrics of this process (``scope="process"``, the default) or of its host (``"host"``).

    Process CPU from the process's CPU clock (``time.process_time``), everywhere. On Linux the rest
    from /proc and cgroup files: host CPU from /proc/stat (a cgroup
    ``cpu.max`` quota counts as the CPUs there are), memory from /proc/self/status, /proc/meminfo
    and the cgroup memory limit, disk I/O from /proc/self/io (host scope, or where it cannot be
    read: /proc/diskstats), network I/O from /proc/net/dev. Elsewhere resource and
    os.getloadavg stand in. GPU from ``nvidia-smi`` when it is on PATH (absent: None). CPU and I/O
    are deltas since the previous ``collect()`` (the first one: since construction). The other
    scope's figures go to custom metrics: ``process.*`` and ``host.*``.
    """

    def __init__(self, scope: str = "process", disk_path: Optional[str] = None, gpu_timeout: float = 2.0) -> None:
        if scope not in ("process", "host"):
            raise ValueError("scope must be 'process' or 'host'")
        self.scope = scope
        self.disk_path = disk_path or os.getcwd()
        self.gpu_timeout = gpu_timeout
        self._nvidia: Optional[str] = None
        self._nvidia_checked = False
        self._gpu_failures = 0
        self._prev_time = time.monotonic()
        self._prev_proc_cpu = self._process_cpu_seconds()
        self._prev_host_cpu = self._host_cpu_times()
        self._prev_proc_io = self._process_io()
        self._prev_disk = self._disk_io()
        self._prev_net = self._net_io()

    def collect(self, detailed: bool = True) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """Returns ``(resource_metrics, custom_metrics)``.

        ``resource_metrics`` always has the four required fields; with ``detailed`` also I/O and
        GPU where present. ``custom_metrics`` is ``{"process": {...}, "host": {...}}``.
        """
        now = time.monotonic()
        elapsed = max(now - self._prev_time, 1e-6)
        self._prev_time = now
        cores = _cpu_count()

        proc_cpu = self._process_cpu_seconds()
        process_cpu: Optional[float] = None
        if proc_cpu is not None and self._prev_proc_cpu is not None:
            process_cpu = _pct((proc_cpu - self._prev_proc_cpu) / (elapsed * cores) * 100.0)
        self._prev_proc_cpu = proc_cpu
        host = self._host_cpu_times()
        host_cpu: Optional[float] = None
        if host is not None and self._prev_host_cpu is not None and host[0] > self._prev_host_cpu[0]:
            host_cpu = _pct((1.0 - (host[1] - self._prev_host_cpu[1]) / (host[0] - self._prev_host_cpu[0])) * 100.0)
        elif hasattr(os, "getloadavg"):
            try:
                host_cpu = _pct(os.getloadavg()[0] / cores * 100.0)
            except OSError:
                pass
        self._prev_host_cpu = host

        rss, host_total, host_available = self._memory()
        host_used = max(0.0, host_total - host_available) if host_total and host_available is not None else None
        limit = _cgroup_memory_limit()
        process_limit = min(limit, host_total) if limit and host_total else (limit or host_total)

        is_host = self.scope == "host"
        if is_host:
            memory = host_used if host_used is not None else rss
            memory_pct = memory / host_total * 100.0 if host_total else 0.0
        else:
            memory = rss
            memory_pct = rss / process_limit * 100.0 if process_limit else 0.0
        cpu = host_cpu if is_host else process_cpu
        resource: Dict[str, Any] = {
            "cpu_usage_percent": cpu if cpu is not None else 0.0,
            "memory_usage_bytes": max(0, int(memory)),
            "memory_usage_percent": _pct(memory_pct),
            "disk_usage_bytes": self._disk_used(),
        }

        proc_io, disk, net = self._process_io(), self._disk_io(), self._net_io()
        if detailed:
            io = _delta2(disk, self._prev_disk) if is_host else (_delta2(proc_io, self._prev_proc_io) or _delta2(disk, self._prev_disk))
            if io is not None:
                resource["disk_io_read_bytes"], resource["disk_io_write_bytes"] = io
            rx_tx = _delta2(net, self._prev_net)
            if rx_tx is not None:
                resource["network_io_rx_bytes"], resource["network_io_tx_bytes"] = rx_tx
            gpu_pct, gpu_mem = self.gpu()
            if gpu_pct is not None:
                resource["gpu_usage_percent"] = _pct(gpu_pct)
            if gpu_mem is not None:
                resource["gpu_memory_usage_bytes"] = max(0, int(gpu_mem))
        self._prev_proc_io, self._prev_disk, self._prev_net = proc_io, disk, net

        process: Dict[str, Any] = {"memory_rss_bytes": max(0, int(rss))}
        if process_cpu is not None:
            process["cpu_percent"] = process_cpu
        host_extra: Dict[str, Any] = {"cpus": round(cores, 3)}
        if host_cpu is not None:
            host_extra["cpu_percent"] = host_cpu
        if host_used is not None and host_total:
            host_extra["memory_used_bytes"] = int(host_used)
            host_extra["memory_percent"] = _pct(host_used / host_total * 100.0)
        if hasattr(os, "getloadavg"):
            try:
                host_extra["load_1m"] = round(os.getloadavg()[0], 3)
            except OSError:
                pass
        return resource, {"process": process, "host": host_extra}

    # ---------------------------------------------------------------- sources

    @staticmethod
    def _process_cpu_seconds() -> float:
        # The process's CPU clock (nanoseconds on Linux; every platform has it), not
        # /proc/self/stat: its 10 ms clock ticks made a fresh agent's first short window read 0 % or
        # 30-100 % for the same 2 ms of work, and a first payload at 100 % fires the CPU rule.
        return time.process_time()

    @staticmethod
    def _host_cpu_times() -> Optional[Tuple[float, float]]:
        """(total, idle) jiffies from /proc/stat, or None."""
        text = _read("/proc/stat")
        if not text:
            return None
        for line in text.splitlines():
            if line.startswith("cpu "):
                try:
                    values = [float(v) for v in line.split()[1:]]
                except ValueError:
                    return None
                # user nice system idle iowait irq softirq steal (guest is counted in user already)
                total = sum(values[:8])
                idle = values[3] + (values[4] if len(values) > 4 else 0.0)
                return total, idle
        return None

    @staticmethod
    def _memory() -> Tuple[float, Optional[float], Optional[float]]:
        """(process RSS bytes, host total bytes or None, host available bytes or None)."""
        rss: Optional[float] = None
        status = _read("/proc/self/status")
        if status:
            m = re.search(r"^VmRSS:\s+(\d+)\s*kB", status, re.MULTILINE)
            if m:
                rss = float(m.group(1)) * 1024
        if rss is None:
            try:
                import resource  # not on Windows

                maxrss = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
                rss = maxrss if sys.platform == "darwin" else maxrss * 1024  # the peak: the best there is
            except Exception:  # noqa: BLE001
                rss = 0.0
        total: Optional[float] = None
        available: Optional[float] = None
        meminfo = _read("/proc/meminfo")
        if meminfo:
            t = re.search(r"^MemTotal:\s+(\d+)\s*kB", meminfo, re.MULTILINE)
            a = re.search(r"^MemAvailable:\s+(\d+)\s*kB", meminfo, re.MULTILINE)
            total = float(t.group(1)) * 1024 if t else None
            available = float(a.group(1)) * 1024 if a else None
        if total is None:
            try:
                total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
            except (AttributeError, ValueError, OSError):
                total = None
        return rss, total, available

    def _disk_used(self) -> int:
        try:
            return max(0, int(shutil.disk_usage(self.disk_path).used))
        except OSError:
            return 0

    @staticmethod
    def _process_io() -> Optional[Tuple[int, int]]:
        """(bytes read, bytes written) by this process from storage, from /proc/self/io, or None."""
        text = _read("/proc/self/io")
        if not text:
            return None
        r = re.search(r"^read_bytes:\s+(\d+)", text, re.MULTILINE)
        w = re.search(r"^write_bytes:\s+(\d+)", text, re.MULTILINE)
        return (int(r.group(1)), int(w.group(1))) if r and w else None

    @staticmethod
    def _disk_io() -> Optional[Tuple[int, int]]:
        """(bytes read, bytes written) over whole physical disks since boot, from /proc/diskstats, or None."""
        text = _read("/proc/diskstats")
        if not text:
            return None
        try:
            whole = set(os.listdir("/sys/block"))
        except OSError:
            whole = set()
        read = written = 0
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 10:
                continue
            name = parts[2]
            if name.startswith(("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd")):
                continue  # virtual devices would count their members' I/O twice
            if whole:
                if name not in whole:
                    continue  # a partition: its disk counts it
            elif not re.match(r"^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+)$", name):
                continue
            try:
                read += int(parts[5]) * 512  # diskstats sectors are always 512 bytes
                written += int(parts[9]) * 512
            except ValueError:
                continue
        return read, written

    @staticmethod
    def _net_io() -> Optional[Tuple[int, int]]:
        """(bytes received, bytes sent) over every interface but loopback since boot, or None."""
        text = _read("/proc/net/dev")
        if not text:
            return None
        rx = tx = 0
        for line in text.splitlines()[2:]:
            if ":" not in line:
                continue
            name, rest = line.split(":", 1)
            if name.strip() == "lo":
                continue
            fields = rest.split()
            try:
                rx += int(fields[0])
                tx += int(fields[8])
            except (IndexError, ValueError):
                continue
        return rx, tx

    def gpu(self) -> Tuple[Optional[float], Optional[int]]:
        """(mean utilisation %, memory used bytes summed) over NVIDIA GPUs, or (None, None)."""
        if not self._nvidia_checked:
            self._nvidia_checked = True
            self._nvidia = shutil.which("nvidia-smi")
        if not self._nvidia or self._gpu_failures >= 3:
            return None, None
        try:
            out = subprocess.run(
                [self._nvidia, "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                timeout=self.gpu_timeout,
                check=True,
                text=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            self._gpu_failures += 1  # three in a row: no more asking
            return None, None
        utils: List[float] = []
        memory = 0.0
        seen_memory = False
        for line in out.splitlines():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2:
                continue
            try:
                utils.append(float(parts[0]))
            except ValueError:  # "[N/A]"
                pass
            try:
                memory += float(parts[1]) * 1024 * 1024  # MiB
                seen_memory = True
            except ValueError:
                pass
        self._gpu_failures = 0
        return (sum(utils) / len(utils) if utils else None), (int(memory) if seen_memory else None)


def _delta2(now: Optional[Tuple[int, int]], before: Optional[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
    if now is None or before is None:
        return None
    return max(0, now[0] - before[0]), max(0, now[1] - before[1])


def _cgroup_memory_limit() -> Optional[float]:
    """The cgroup memory limit (v2 memory.max, v1 memory.limit_in_bytes), or None for none."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        text = _read(path)
        if text is None:
            continue
        value = text.strip()
        try:
            n = float(value)
        except ValueError:
            return None  # "max"
        return n if 0 < n < 2.0 ** 60 else None  # v1 writes "no limit" as about 2^63
    return None


def _pct(x: float) -> float:
    if not math.isfinite(x):
        return 0.0
    return round(min(100.0, max(0.0, x)), 3)


def _cpu_count() -> float:
    """CPUs this process may use: its affinity, capped by a cgroup v2 cpu.max quota."""
    try:
        n: float = max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        n = max(1, os.cpu_count() or 1)
    text = _read("/sys/fs/cgroup/cpu.max")
    if text:
        parts = text.split()
        try:
            if parts and parts[0] != "max":
                quota = float(parts[0]) / float(parts[1] if len(parts) > 1 else 100000)
                if quota > 0:
                    n = min(n, quota)
        except ValueError:
            pass
    return n


# ------------------------------------------------------------------------------------ tasks


class _Task:
    """A task in progress: pending until it ends, then completed or failed (ending twice counts once).

    As a context manager (``with`` / ``async with``) it ends when the block does: failed when an
    exception leaves it, completed otherwise, unless ``succeed()``/``fail()`` ended it already.
    """

    __slots__ = ("_monitor", "_start", "_done")

    def __init__(self, monitor: "AgentMonitor") -> None:
        self._monitor = monitor
        self._start = time.perf_counter()
        self._done = False
        monitor._task_started()

    def succeed(self) -> None:
        """Ends the task as completed."""
        self.end(True)

    def fail(self, error: Optional[BaseException] = None) -> None:
        """Ends the task as failed."""
        self.end(False)

    def end(self, ok: Optional[bool]) -> None:
        """Ends the task: completed (True), failed (False), or neither (None: cancelled)."""
        if self._done:
            return
        self._done = True
        self._monitor._task_finished(ok, (time.perf_counter() - self._start) * 1000.0)

    def __enter__(self) -> "_Task":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            self.end(True)
        elif issubclass(exc_type, Exception):
            self.end(False)
        else:
            self.end(None)  # cancelled, interrupted or exiting: neither a success nor the agent's failure
        return False

    async def __aenter__(self) -> "_Task":
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)


# --------------------------------------------------------------------------------- the monitor


class _Check:
    __slots__ = ("name", "fn", "timeout", "running_since")

    def __init__(self, name: str, fn: Callable[[], Any], timeout: Optional[float]) -> None:
        self.name = name
        self.fn = fn
        self.timeout = timeout
        self.running_since: Optional[float] = None


class AgentMonitor:
    """Monitors this agent: registers it, collects and sends its metrics, heartbeats and health checks.

    ``start()`` registers and starts a daemon thread; ``stop()`` sends what is left. Nothing here
    raises into the agent's code once constructed; see ``stats()`` for what went wrong.

    Arguments beyond the agent's identity:

    * ``token``: the admin or registration token (registration, and re-registration on 401).
    * ``agent_id``: register under this id (else the server finds the agent by name+environment+host).
    * ``buffer_size``: payloads kept while the server is away; the oldest go first.
    * ``collect_system_metrics``: False sends the four required resource fields as 0 and reads nothing.
    * ``resource_scope``: whose figures fill resource_metrics, ``"process"`` (default) or ``"host"``;
      the other side goes to custom metrics (``process.*``, ``host.*``).
    * ``disk_path``: the filesystem whose used bytes are disk_usage_bytes (default: the working directory).
    * ``interval_override``: ``{"metrics_interval_seconds": 0.5, "health_check_interval_seconds": 1}``
      fixes those intervals here whatever the server says (tests, demos).
    * ``batch_size``: payloads per request (at most 1000).
    * ``initial_backoff_seconds`` / ``max_backoff_seconds``: retry delays (doubling, with jitter).
    * ``request_timeout``: seconds per HTTP request; ``health_check_timeout``: seconds per check.
    * ``key_file``: a file that keeps the agent's api_key between runs (mode 0600). The registration
      token may not take over an agent that is reporting, so without it a restarted process
      registers again only once its previous run has been silent past the offline threshold.
    * ``flush_on_exit``: stop (and flush, up to 5 s) when the interpreter exits: at the end of the
      script, on Ctrl-C (KeyboardInterrupt), and on SIGTERM (what ``kill``, systemd, Docker and
      Kubernetes send), which otherwise ends a Python process without running any exit code. While
      the monitor runs, ``start()`` (called from the main thread) installs a SIGTERM handler that
      exits through ``SystemExit(143)`` when SIGTERM had its default action; a handler of your own
      is kept and called after the flush; an ignored SIGTERM stays ignored. ``stop()`` puts the
      previous handler back.
    """

    def __init__(
        self,
        url: str,
        token: str,
        name: str,
        type: Union[str, AgentType],
        version: str,
        environment: str,
        deployment_type: Union[str, DeploymentType] = "local",
        host: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        config: Optional[Mapping[str, Any]] = None,
        agent_id: Optional[str] = None,
        buffer_size: int = 1000,
        collect_system_metrics: bool = True,
        logger: Optional[logging.Logger] = None,
        *,
        description: Optional[str] = None,
        port: Optional[int] = None,
        interval_override: Optional[Mapping[str, float]] = None,
        batch_size: int = 100,
        initial_backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        request_timeout: float = 10.0,
        health_check_timeout: float = 10.0,
        resource_scope: str = "process",
        disk_path: Optional[str] = None,
        flush_on_exit: bool = True,
        key_file: Optional[str] = None,
    ) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be at least 1")
        if key_file is not None and (not isinstance(key_file, str) or key_file == ""):
            raise ValueError("key_file must be a file path")
        self._key_file = key_file
        self._key_file_read = False
        self.log = logger or _log
        self._client = Client(url, token, timeout=request_timeout)
        self._api_key: Optional[str] = None
        self._agent_id: Optional[str] = agent_id
        self._info: Dict[str, Any] = {
            "name": name,
            "type": _jsonable(type),
            "version": version,
            "deployment_type": _jsonable(deployment_type),
            "host": host or socket.gethostname() or "unknown",
            "environment": environment,
            "tags": list(tags or []),
            "metadata": _jsonable(dict(metadata or {})),
            "config": _jsonable(dict(config or {})),
        }
        if description is not None:
            self._info["description"] = description
        if port is not None:
            self._info["port"] = port
        self.buffer_size = int(buffer_size)
        self.batch_size = max(1, min(MAX_BATCH, int(batch_size)))
        self.collect_system_metrics = collect_system_metrics
        self.initial_backoff = max(0.01, float(initial_backoff_seconds))
        self.max_backoff = max(self.initial_backoff, float(max_backoff_seconds))
        self.request_timeout = float(request_timeout)
        self.health_check_timeout = float(health_check_timeout)
        self._override = dict(interval_override or {})
        self._flush_on_exit = flush_on_exit
        # The SIGTERM handler in place before start() installed ours (see _install_sigterm).
        self._previous_sigterm: Any = None
        self._sigterm_installed = False

        self._lock = threading.RLock()  # counters, buffer, settings
        self._send_lock = threading.Lock()  # one sender at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._stop_deadline = 0.0
        self._settings: Dict[str, Any] = dict(DEFAULT_SETTINGS)
        self._collector = ResourceCollector(resource_scope, disk_path) if collect_system_metrics else None

        self._buffer: Deque[Dict[str, Any]] = deque()
        self._inflight = 0
        self._pending_health: Optional[List[Dict[str, Any]]] = None
        self._checks: Dict[str, _Check] = {}
        self._health_runner: Optional[threading.Thread] = None

        # retry state
        self._failures = 0
        self._next_attempt = 0.0
        self._last_contact = 0.0
        self._last_metrics_at = 0.0
        self._last_health_at = 0.0
        self._failing_since_logged = False

        # Performance and AI figures of the interval since the previous payload ("_w_": the window).
        self._started_wall = time.time()
        self._tasks_pending = 0
        self._totals = {"tasks_completed": 0, "tasks_failed": 0}
        self._w_start = time.monotonic()
        self._w_completed = 0
        self._w_failed = 0
        self._w_ms = 0.0
        self._ai_seen = False
        self._w_tokens = 0
        self._w_tokens_timed = 0
        # Tokens, calls and cost by model: model -> {provider, unpriced, costed} (see _usage_entries).
        self._w_usage: Dict[str, Dict[str, Any]] = {}
        self._w_models_refused = 0
        self._w_token_seconds = 0.0
        self._w_inference: List[float] = [0.0, 0]  # sum, count
        self._w_api: List[float] = [0.0, 0]
        self._w_accuracy: List[float] = [0.0, 0]
        self._w_confidence: List[float] = [0.0, 0]
        self._accuracy: Optional[float] = None  # kept until changed
        self._context_length: Optional[int] = None  # kept until changed
        self._gauges: Dict[str, Any] = {}  # custom metrics sent as they are
        self._counters: Dict[str, float] = {}  # custom counters: what was added in the interval

        self._state = "idle"
        self._stats: Dict[str, Any] = {
            "produced": 0,
            "sent": 0,
            "dropped": 0,
            "dropped_unreported": 0,
            "rejected": 0,
            "batches_sent": 0,
            "failed_sends": 0,
            "registrations": 0,
            "heartbeats": 0,
            "health_reports": 0,
            "health_checks_run": 0,
            "errors": 0,
            "config_changes": 0,
            "last_error": None,
            "last_sent_at": None,
        }

    # ---------------------------------------------------------------- lifecycle

    @property
    def agent_id(self) -> Optional[str]:
        """The agent's id once registered (or as given)."""
        return self._agent_id

    @property
    def client(self) -> Client:
        """A Client with the token this monitor was given (admin or registration)."""
        return self._client

    @property
    def running(self) -> bool:
        """True while the background thread runs."""
        t = self._thread
        return t is not None and t.is_alive()

    def start(self) -> "AgentMonitor":
        """Registers the agent (if the server answers) and starts the background thread. Idempotent."""
        try:
            if self.running:
                return self
            self._state = "starting"
            self._stopping.clear()
            if self._api_key is None:
                self._register(min(self.request_timeout, 5.0))
            self._thread = threading.Thread(target=self._run, name="agentmon-reporter", daemon=True)
            self._thread.start()
            self._state = "running"
            if self._flush_on_exit:
                atexit.register(self._at_exit)
                self._install_sigterm()
        except Exception as err:  # noqa: BLE001
            self._error("start failed", err)
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Takes a last payload, sends everything buffered (for up to ``timeout`` s) and ends the thread.

        Returns True when nothing is left unsent.
        """
        try:
            if self._flush_on_exit:
                try:
                    atexit.unregister(self._at_exit)
                except Exception:  # noqa: BLE001
                    pass
                self._restore_sigterm()
            thread = self._thread
            if thread is None or not thread.is_alive():
                done = self.flush(timeout)
                self._state = "stopped" if self._state != "idle" else "idle"
                return done
            self._state = "stopping"
            self._stop_deadline = time.monotonic() + max(0.0, timeout)
            self._stopping.set()
            self._wake.set()
            thread.join(max(0.0, timeout) + self.request_timeout + 1.0)
            self._thread = None
            self._state = "stopped"
            with self._lock:
                return not self._buffer and self._inflight == 0 and self._pending_health is None
        except Exception as err:  # noqa: BLE001
            self._error("stop failed", err)
            return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Sends everything buffered now, retrying for up to ``timeout`` s. True when the buffer is empty."""
        try:
            return self._drain(time.monotonic() + max(0.0, timeout))
        except Exception as err:  # noqa: BLE001
            self._error("flush failed", err)
            return False

    def __enter__(self) -> "AgentMonitor":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _at_exit(self) -> None:
        self.stop(timeout=5.0)

    def _install_sigterm(self) -> None:
        """Makes SIGTERM end the process through the interpreter's exit, so the buffer is flushed.

        Python only lets the main thread set handlers; from another thread nothing changes (the
        flush then runs at a normal exit and on Ctrl-C only).
        """
        if self._sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous == signal.SIG_IGN:
            return
        self._previous_sigterm = previous
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._sigterm_installed = True

    def _restore_sigterm(self) -> None:
        if not self._sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        try:
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, self._previous_sigterm if self._previous_sigterm is not None else signal.SIG_DFL)
        except Exception as err:  # noqa: BLE001
            self._error("restoring the SIGTERM handler failed", err)
        self._sigterm_installed = False

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        previous = self._previous_sigterm
        if callable(previous):
            # Someone else's handler decides what SIGTERM does; ours only flushes first.
            self.stop(timeout=5.0)
            previous(signum, frame)
            return
        # Default action: exit as the signal would (128 + 15), through SystemExit so that finally
        # blocks and atexit run, and with them stop() and its flush.
        raise SystemExit(128 + signum)

    # ---------------------------------------------------------------- performance

    def task(self) -> _Task:
        """A context manager (``with`` or ``async with``) timing and counting one task.

        An exception leaving the block counts the task failed (and goes on up); so does ``t.fail()``.
        """
        return _Task(self)

    def start_task(self) -> _Task:
        """Starts a task by hand; end it with ``succeed()``, ``fail()`` or ``end(ok)``."""
        return _Task(self)

    def track(self, fn: Optional[F] = None) -> Any:
        """Decorator (``@monitor.track`` or ``@monitor.track()``) counting each call as a task; sync or async."""
        if fn is None:
            return self.track
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.task():
                    return await fn(*args, **kwargs)  # type: ignore[misc]

            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.task():
                return fn(*args, **kwargs)  # type: ignore[misc]

        return wrapper

    def record_task(self, duration_ms: float, ok: bool = True) -> None:
        """Counts one task timed elsewhere."""
        if not _finite(duration_ms) or duration_ms < 0:
            self._bad_value("record_task", duration_ms)
            return
        with self._lock:
            self._task_started()
            self._task_finished(bool(ok), float(duration_ms))

    def _task_started(self) -> None:
        with self._lock:
            self._tasks_pending += 1

    def _task_finished(self, ok: Optional[bool], elapsed_ms: float) -> None:
        with self._lock:
            self._tasks_pending = max(0, self._tasks_pending - 1)
            if ok is None:
                return
            if ok:
                self._w_completed += 1
                self._totals["tasks_completed"] += 1
            else:
                self._w_failed += 1
                self._totals["tasks_failed"] += 1
            self._w_ms += elapsed_ms

    # ---------------------------------------------------------------- AI

    def record_tokens(
        self,
        n: int,
        duration_s: Optional[float] = None,
        *,
        model: Optional[str] = None,
        type: Optional[str] = None,
        provider: Optional[str] = None,
    ) -> None:
        """Counts ``n`` tokens processed; with ``duration_s``, tokens_per_second is measured from it.

        With ``model`` they also count for that model, on the ``type`` side, ``"input"`` (prompt) or
        ``"output"`` (completion, the default: a count whose side is unknown is priced at the output
        rate, the higher one, so spend and budgets err high rather than low), and the server prices
        them. Without ``model``, ``type`` and ``provider`` are ignored.
        """
        if not _finite(n) or n < 0 or (duration_s is not None and (not _finite(duration_s) or duration_s < 0)):
            self._bad_value("record_tokens", (n, duration_s))
            return
        if model is None:
            with self._lock:
                self._ai_seen = True
                self._w_tokens += int(n)
                if duration_s is not None and duration_s > 0:
                    self._w_tokens_timed += int(n)
                    self._w_token_seconds += float(duration_s)
            return
        if type not in (None, "input", "output"):
            self._bad_value("record_tokens: type must be 'input' or 'output'", type)
            return
        side = {"input_tokens": n} if type == "input" else {"output_tokens": n}
        problem = _usage_problem(model, provider, **side)
        if problem:
            self._bad_value("record_tokens: " + problem, (model, provider))
            return
        self._add_usage(model, provider, duration_s=duration_s, **side)

    def record_inference(
        self,
        ms: float,
        tokens: Optional[int] = None,
        confidence: Optional[float] = None,
        accuracy: Optional[float] = None,
        *,
        model: Optional[str] = None,
        provider: Optional[str] = None,
        input_tokens: Optional[int] = None,
        output_tokens: Optional[int] = None,
        cost_usd: Optional[float] = None,
    ) -> None:
        """Records one model inference time (the interval reports the mean), and what came with it.

        With ``model`` it is one call of that model, with its ``input_tokens`` and ``output_tokens``
        (``tokens``, not split by side, count as output) and, when the provider reports it,
        ``cost_usd`` (else the server prices the tokens). All of them count in tokens_processed.
        """
        call = self._model_call("record_inference", model, provider, tokens, input_tokens, output_tokens, cost_usd)
        if call is None:
            return
        self._add_mean("record_inference", self._w_inference, ms, 0.0, None)
        duration_s = ms / 1000.0 if _finite(ms) and ms > 0 else None
        self._record_call_tokens(call, tokens, input_tokens, output_tokens, duration_s)
        if confidence is not None:
            self.record_confidence(confidence)
        if accuracy is not None:
            self.record_accuracy(accuracy)

    def record_api_call(
        self,
        ms: float,
        ok: bool = True,
        tokens: Optional[int] = None,
        *,
        model: Optional[str] = None,
        provider: Optional[str] = None,
        input_tokens: Optional[int] = None,
        output_tokens: Optional[int] = None,
        cost_usd: Optional[float] = None,
    ) -> None:
        """Records one call to a model or tool API and its latency; failed ones also count in ``api_calls_failed``.

        With ``model`` it is one call of that model, as in ``record_inference`` (give the model to one
        of the two for a given call, or it counts twice).
        """
        call = self._model_call("record_api_call", model, provider, tokens, input_tokens, output_tokens, cost_usd)
        if call is None:
            return
        if not _finite(ms) or ms < 0:
            self._bad_value("record_api_call", ms)
            return
        with self._lock:
            self._ai_seen = True
            self._w_api[0] += float(ms)
            self._w_api[1] += 1
        if not ok:
            self.increment_metric("api_calls_failed")
        self._record_call_tokens(call, tokens, input_tokens, output_tokens, None)

    def record_model_usage(
        self,
        model: str,
        input_tokens: Optional[int] = None,
        output_tokens: Optional[int] = None,
        calls: Optional[int] = None,
        cost_usd: Optional[float] = None,
        provider: Optional[str] = None,
    ) -> None:
        """Adds what a model consumed, however you learnt it (a batch, a provider's usage report).

        Its tokens count for the model, input and output apart, and in tokens_processed. Without
        ``calls`` no call is counted; ``cost_usd`` covers the tokens given with it, and only those
        (without it the server prices them).
        """
        problem = _usage_problem(model, provider, input_tokens, output_tokens, calls, cost_usd)
        if problem:
            self._bad_value("record_model_usage: " + problem, (model, input_tokens, output_tokens, calls, cost_usd))
            return
        self._add_usage(model, provider, input_tokens, output_tokens, calls, cost_usd)

    def _model_call(
        self,
        what: str,
        model: Optional[str],
        provider: Optional[str],
        tokens: Any,
        input_tokens: Any,
        output_tokens: Any,
        cost_usd: Any,
    ) -> Optional[Dict[str, Any]]:
        """Checks a call's model arguments before anything of it is recorded.

        Returns the call's model usage (``{}`` when it names no model), or None when an argument is
        bad: that is reported, and the call records nothing.
        """
        if model is None:
            problem = None
            if cost_usd is not None:
                problem = "cost_usd needs the model it was spent on"
            elif input_tokens is not None or output_tokens is not None:
                # tokens alone keeps its old checks (record_tokens); with the split, all are checked here
                problem = _amount_problem(input_tokens=input_tokens, output_tokens=output_tokens, tokens=tokens)
            if problem:
                self._bad_value(what + ": " + problem, (tokens, input_tokens, output_tokens, cost_usd))
                return None
            return {}
        problem = _usage_problem(model, provider, input_tokens, output_tokens, 1, cost_usd) or _amount_problem(tokens=tokens)
        if problem:
            self._bad_value(what + ": " + problem, (model, provider, tokens, input_tokens, output_tokens, cost_usd))
            return None
        output = None if output_tokens is None and tokens is None else (output_tokens or 0) + (tokens or 0)
        return {"model": model, "provider": provider, "input_tokens": input_tokens, "output_tokens": output,
                "calls": 1, "cost_usd": cost_usd}

    def _record_call_tokens(
        self, call: Dict[str, Any], tokens: Any, input_tokens: Any, output_tokens: Any, duration_s: Optional[float]
    ) -> None:
        """The tokens of one call: to its model when it has one, else to tokens_processed alone."""
        if call:
            self._add_usage(duration_s=duration_s, **call)
            return
        if input_tokens is None and output_tokens is None:
            if tokens is not None:
                self.record_tokens(tokens, duration_s)  # as it always was
            return
        self.record_tokens((tokens or 0) + (input_tokens or 0) + (output_tokens or 0), duration_s)

    def _add_usage(
        self,
        model: str,
        provider: Optional[str] = None,
        input_tokens: Optional[float] = None,
        output_tokens: Optional[float] = None,
        calls: Optional[int] = None,
        cost_usd: Optional[float] = None,
        duration_s: Optional[float] = None,
    ) -> None:
        """Adds a checked usage record to the interval's figures for its model and to tokens_processed."""
        inp, out = int(input_tokens or 0), int(output_tokens or 0)
        with self._lock:
            self._ai_seen = True
            self._w_tokens += inp + out
            if duration_s is not None and duration_s > 0:
                self._w_tokens_timed += inp + out
                self._w_token_seconds += float(duration_s)
            usage = self._w_usage.get(model)
            if usage is None:
                if len(self._w_usage) >= MODELS_PER_INTERVAL_MAX:
                    self._w_models_refused += 1  # its tokens still count in tokens_processed
                    return
                usage = self._w_usage[model] = {"provider": None, "unpriced": None, "costed": None}
            if provider:
                usage["provider"] = provider
            part = "unpriced" if cost_usd is None else "costed"
            t = usage[part]
            if t is None:
                t = usage[part] = _tally()
            t["input"] += inp
            t["output"] += out
            if calls is not None:
                t["calls"] += int(calls)
                t["calls_seen"] = True
            t["cost"] += float(cost_usd or 0.0)

    def _take_model_usage(self) -> Tuple[List[Dict[str, Any]], int]:
        """The interval's usage as ``model_usage`` entries, at most MAX_MODELS_PER_PAYLOAD; starts the next.

        The server refuses a payload with more, and with it the interval's every other figure. Past
        that, the models with the most tokens go: tokens are what spend is made of, so the split by
        model loses least. The others' tokens still count in tokens_processed. Call with the lock held.
        """
        ranked = []
        for model, usage in self._w_usage.items():
            parts = [t for t in (usage["unpriced"], usage["costed"]) if t is not None]
            tokens = sum(t["input"] + t["output"] for t in parts)
            cost = usage["costed"]["cost"] if usage["costed"] else 0.0
            ranked.append((-tokens, -cost, model, _usage_entries(model, usage)))
        ranked.sort(key=lambda r: r[:3])
        entries: List[Dict[str, Any]] = []
        left_out = self._w_models_refused
        for _, _, _, own in ranked:
            if not own:
                continue
            if len(entries) + len(own) <= MAX_MODELS_PER_PAYLOAD:
                entries.extend(own)
            else:
                left_out += 1
        self._w_usage = {}
        self._w_models_refused = 0
        return entries, left_out

    def set_context_length(self, n: int) -> None:
        """Sets the current context length (tokens)."""
        if not _finite(n) or n < 0:
            self._bad_value("set_context_length", n)
            return
        with self._lock:
            self._ai_seen = True
            self._context_length = int(n)

    def record_accuracy(self, x: float) -> None:
        """Records a model accuracy in [0, 1]: the interval's mean, kept until a new one comes."""
        self._add_mean("record_accuracy", self._w_accuracy, x, 0.0, 1.0)

    def record_confidence(self, x: float) -> None:
        """Records a confidence score in [0, 1] (confidence_score is the interval's mean)."""
        self._add_mean("record_confidence", self._w_confidence, x, 0.0, 1.0)

    def _add_mean(self, what: str, acc: List[float], x: float, lo: float, hi: Optional[float]) -> None:
        if not _finite(x) or x < lo or (hi is not None and x > hi):
            self._bad_value(what, x)
            return
        with self._lock:
            self._ai_seen = True
            acc[0] += float(x)
            acc[1] += 1

    # ---------------------------------------------------------------- custom metrics, health checks

    def set_metric(self, key: str, value: Any) -> None:
        """Sets a custom metric, sent as it is with every payload until changed (None removes it).

        Numbers become series (``custom.<key>``; nested dicts flatten with dots); other JSON values
        are kept with the payload.
        """
        if value is None:
            self.remove_metric(key)
            return
        try:
            if not isinstance(key, str) or not key:
                raise TypeError("key")
            value = _jsonable(value)
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            self._bad_value("set_metric(%r)" % (key,), value)
            return
        with self._lock:
            self._counters.pop(key, None)
            self._gauges[key] = value

    def increment_metric(self, key: str, by: float = 1) -> None:
        """A custom counter: each payload reports what was added during its interval (0 when nothing)."""
        if not isinstance(key, str) or not key or not _finite(by):
            self._bad_value("increment_metric(%r)" % (key,), by)
            return
        with self._lock:
            self._gauges.pop(key, None)
            self._counters[key] = self._counters.get(key, 0) + by

    def remove_metric(self, key: str) -> None:
        """Stops reporting a custom metric."""
        with self._lock:
            self._gauges.pop(key, None)
            self._counters.pop(key, None)

    def add_health_check(self, name: str, fn: Callable[[], Any], timeout: Optional[float] = None) -> None:
        """Adds a health check run every health_check_interval_seconds.

        ``fn()`` returns a bool, a ``(bool, message)`` pair, or None (passed); raising fails it.
        It may be ``async``. A check running longer than ``timeout`` (default health_check_timeout)
        is reported failed.
        """
        if not isinstance(name, str) or not (0 < len(name) <= 255) or not callable(fn):
            self._bad_value("add_health_check", name)
            return
        with self._lock:
            self._checks[name] = _Check(name, fn, timeout)

    def remove_health_check(self, name: str) -> None:
        """Removes a health check."""
        with self._lock:
            self._checks.pop(name, None)

    def run_health_checks(self) -> List[Dict[str, Any]]:
        """Runs every health check now and queues the report; returns the HealthCheck results."""
        try:
            with self._lock:
                checks = list(self._checks.values())
            if not checks:
                return []
            results = self._run_checks(checks)
            with self._lock:
                self._pending_health = results  # the latest report replaces an unsent one
                self._stats["health_checks_run"] += len(results)
                self._last_health_at = time.monotonic()
            self._wake.set()
            return results
        except Exception as err:  # noqa: BLE001
            self._error("health checks failed", err)
            return []

    def _run_checks(self, checks: List[_Check]) -> List[Dict[str, Any]]:
        results: Dict[str, Dict[str, Any]] = {}
        threads: List[Tuple[_Check, threading.Thread, float]] = []
        for check in checks:
            started = time.perf_counter()
            if check.running_since is not None:
                results[check.name] = _check_result(
                    check.name, False, "still running since the previous run", (started - check.running_since) * 1000.0
                )
                continue
            t = threading.Thread(target=self._run_one, args=(check, results), name="agentmon-check", daemon=True)
            check.running_since = started
            t.start()
            threads.append((check, t, started))
        for check, t, started in threads:
            limit = check.timeout if check.timeout is not None else self.health_check_timeout
            t.join(max(0.0, started + limit - time.perf_counter()))
            if t.is_alive() and check.name not in results:
                results[check.name] = _check_result(
                    check.name, False, "timed out after %.3g s" % limit, (time.perf_counter() - started) * 1000.0
                )
        return [results[c.name] for c in checks if c.name in results]

    @staticmethod
    def _run_one(check: _Check, results: Dict[str, Dict[str, Any]]) -> None:
        started = check.running_since or time.perf_counter()
        try:
            value = check.fn()
            if inspect.isawaitable(value):
                value = asyncio.run(_await(value))
            message: Optional[str] = None
            if isinstance(value, tuple):
                ok = bool(value[0]) if value else False
                if len(value) > 1 and value[1] is not None:
                    message = str(value[1])
            else:
                ok = True if value is None else bool(value)
            result = _check_result(check.name, ok, message, (time.perf_counter() - started) * 1000.0)
        except Exception as err:  # noqa: BLE001 - a raising check is a failed check
            result = _check_result(
                check.name, False, "%s: %s" % (err.__class__.__name__, err), (time.perf_counter() - started) * 1000.0
            )
        finally:
            check.running_since = None
        results.setdefault(check.name, result)

    # ---------------------------------------------------------------- payloads

    def collect(self) -> Optional[Dict[str, Any]]:
        """Takes a metrics payload now (as the thread does every interval) and queues it for sending.

        Returns the payload (without ``agent_id``, which is filled in when it is sent).
        """
        try:
            payload = self._build_payload()
            with self._lock:
                # Drop-oldest. Payloads in flight are older still: if they come back unsent, the
                # trim in _send_batch drops them first.
                while len(self._buffer) >= self.buffer_size:
                    self._buffer.popleft()
                    self._note_dropped(1)
                self._buffer.append(payload)
                self._stats["produced"] += 1
                self._last_metrics_at = time.monotonic()
            self._wake.set()
            return payload
        except Exception as err:  # noqa: BLE001
            self._error("collecting metrics failed", err)
            return None

    def _build_payload(self) -> Dict[str, Any]:
        with self._lock:
            settings = dict(self._settings)
        extras: Dict[str, Any] = {}
        if self._collector is not None:
            resource, extras = self._collector.collect(detailed=bool(settings["enable_resource_monitoring"]))
            if not settings["enable_resource_monitoring"]:
                extras = {}
        else:
            resource = {"cpu_usage_percent": 0.0, "memory_usage_bytes": 0, "memory_usage_percent": 0.0, "disk_usage_bytes": 0}
        now = time.monotonic()
        payload: Dict[str, Any] = {"timestamp": utc_iso(), "resource_metrics": resource}
        with self._lock:
            seconds = max(now - self._w_start, 1e-3)
            done = self._w_completed + self._w_failed
            error_rate = self._w_failed / done if done else 0.0
            perf = {
                "tasks_completed": self._w_completed,
                "tasks_failed": self._w_failed,
                "tasks_pending": self._tasks_pending,
                "average_response_time_ms": round(self._w_ms / done, 3) if done else 0.0,
                "throughput_per_second": round(done / seconds, 3),
                "error_rate": round(error_rate, 6),
                "success_rate": round(1.0 - error_rate, 6),
                "uptime_seconds": max(0, int(time.time() - self._started_wall)),
            }
            payload["performance_metrics"] = perf if settings["enable_performance_monitoring"] else {}
            if self._w_accuracy[1]:
                self._accuracy = round(self._w_accuracy[0] / self._w_accuracy[1], 6)
            if self._ai_seen:
                # Sent once the agent recorded any AI figure, whatever enable_ai_monitoring says.
                ai: Dict[str, Any] = {
                    "tokens_processed": self._w_tokens,
                    "tokens_per_second": round(
                        self._w_tokens_timed / self._w_token_seconds if self._w_token_seconds > 0 else self._w_tokens / seconds, 3
                    ),
                    "api_calls_made": int(self._w_api[1]),
                }
                for key, acc in (
                    ("model_inference_time_ms", self._w_inference),
                    ("api_call_latency_ms", self._w_api),
                    ("confidence_score", self._w_confidence),
                ):
                    if acc[1]:
                        ai[key] = round(acc[0] / acc[1], 6)
                if self._accuracy is not None:
                    ai["model_accuracy"] = self._accuracy
                if self._context_length is not None:
                    ai["context_length"] = self._context_length
                payload["ai_metrics"] = ai
            custom = dict(extras)
            custom.update(self._gauges)
            custom.update(self._counters)
            payload["custom_metrics"] = custom
            model_usage, left_out = self._take_model_usage()
            if model_usage:
                payload["model_usage"] = model_usage
            if left_out:
                self.log.warning(
                    "agentmon: %d models in the interval are left out of model_usage (a payload carries %d): "
                    "the ones with the fewest tokens", left_out, MAX_MODELS_PER_PAYLOAD)
            # the next interval
            self._w_start = now
            self._w_completed = self._w_failed = 0
            self._w_ms = 0.0
            self._w_tokens = self._w_tokens_timed = 0
            self._w_token_seconds = 0.0
            for acc in (self._w_inference, self._w_api, self._w_accuracy, self._w_confidence):
                acc[0], acc[1] = 0.0, 0
            for key in self._counters:
                self._counters[key] = 0
        return payload

    def _note_dropped(self, n: int) -> None:
        with self._lock:
            self._stats["dropped"] += n
            self._stats["dropped_unreported"] += n
        self.log.warning("agentmon: buffer full (%d payloads): dropped the oldest %d", self.buffer_size, n)

    # ---------------------------------------------------------------- settings

    def interval(self, key: str) -> float:
        """The interval in use for ``metrics_interval_seconds`` or ``health_check_interval_seconds``."""
        if key in self._override:
            return max(0.01, float(self._override[key]))
        with self._lock:
            return max(1.0, float(self._settings.get(key) or DEFAULT_SETTINGS[key]))

    @property
    def settings(self) -> Dict[str, Any]:
        """The collection settings last heard from the server."""
        with self._lock:
            return dict(self._settings)

    def _apply_settings(self, config: Any) -> None:
        if not isinstance(config, Mapping):
            return
        changed = {}
        with self._lock:
            for key in DEFAULT_SETTINGS:
                if key in config and config[key] is not None and config[key] != self._settings.get(key):
                    changed[key] = (self._settings.get(key), config[key])
                    self._settings[key] = config[key]
            if changed:
                self._stats["config_changes"] += 1
        if changed:
            self.log.info(
                "agentmon: collection settings changed: %s",
                ", ".join("%s %s -> %s" % (k, a, b) for k, (a, b) in sorted(changed.items())),
            )
            self._wake.set()

    # ---------------------------------------------------------------- sending

    def _kept_key(self) -> Optional[str]:
        """The key kept in key_file (read once); a file that cannot be read is logged and ignored."""
        if self._key_file is None or self._key_file_read:
            return None
        self._key_file_read = True
        try:
            with open(self._key_file, "r", encoding="utf-8") as f:
                kept = json.load(f)
            agent_id, api_key = kept["agent_id"], kept["api_key"]
            if not isinstance(agent_id, str) or not isinstance(api_key, str):
                raise ValueError("agent_id and api_key must be strings")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as err:
            self._error("key_file %s cannot be read (delete it to register afresh)" % self._key_file, err)
            return None
        if self._agent_id is None:
            self._agent_id = agent_id
        elif self._agent_id != agent_id:
            return None  # a key of another agent than the one given
        return api_key

    def _keep_key(self, agent_id: str, api_key: str) -> None:
        """Writes key_file whole beside it, then renames it into place (a crash leaves the old one)."""
        if self._key_file is None:
            return
        try:
            folder = os.path.dirname(os.path.abspath(self._key_file))
            os.makedirs(folder, mode=0o700, exist_ok=True)
            temp = "%s.%d.tmp" % (self._key_file, os.getpid())
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"agent_id": agent_id, "api_key": api_key}, f)
                f.write("\n")
            os.replace(temp, self._key_file)
        except OSError as err:
            self._error("key_file %s cannot be written" % self._key_file, err)

    def _register(self, timeout: Optional[float] = None) -> bool:
        shown = self._api_key or self._kept_key()
        body = dict(self._info)
        if self._agent_id:
            body["id"] = self._agent_id
        try:
            answer = self._client.request("POST", "/agents", body, timeout=timeout, headers={"X-Agent-Key": shown} if shown else None)
            agent_id, api_key = str(answer["agent_id"]), str(answer["api_key"])
        except AgentmonError as err:
            self._failed("registration", err)
            return False
        except (KeyError, TypeError) as err:
            self._failed("registration", AgentmonError(None, "BAD_ANSWER", "registration answer without %s" % err))
            return False
        with self._lock:
            self._agent_id = agent_id
            self._api_key = api_key
            self._stats["registrations"] += 1
        self._keep_key(agent_id, api_key)
        self._apply_settings(answer.get("config"))
        self._succeeded()
        self.log.info("agentmon: agent %s %s as %s", self._info["name"], answer.get("status", "registered"), agent_id)
        return True

    def _call(self, what: str, method: str, path: Callable[[], str], body: Any, deadline: Optional[float]) -> Tuple[bool, Any]:
        """One API call with the agent's key; registers first when needed, and again once on 401/403/404.

        Returns (True, answer) or (False, AgentmonError or None when registration failed).
        """
        for attempt in range(2):
            if self._api_key is None and not self._register(self._timeout(deadline)):
                return False, None
            try:
                return True, self._client.request(method, path(), body, token=self._api_key, timeout=self._timeout(deadline))
            except AgentmonError as err:
                if attempt == 0 and err.status in (401, 403, 404):
                    # Our key was revoked (the agent registered again elsewhere) or the agent was deleted.
                    self.log.info("agentmon: %s answered %s %s; registering again", what, err.status, err.code)
                    self._api_key = None
                    continue
                return False, err
            except (TypeError, ValueError) as err:  # a body that is not JSON: sending it again will not help
                return False, AgentmonError(400, "CLIENT_INVALID_BODY", str(err))
        return False, None

    def _timeout(self, deadline: Optional[float]) -> float:
        if deadline is None:
            return self.request_timeout
        return max(0.2, min(self.request_timeout, deadline - time.monotonic()))

    def _send_batch(self, deadline: Optional[float]) -> Optional[bool]:
        """Sends one batch from the buffer. True sent (or rejected), False failed, None nothing to send."""
        with self._lock:
            if not self._buffer:
                return None
            batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
            self._inflight = len(batch)
        try:
            while batch:
                with self._lock:
                    reported = self._stats["dropped_unreported"]
                wire = [dict(p, agent_id=self._agent_id) for p in batch]
                if reported:
                    # The newest payload carries the count of drops not yet told, beside the data that survived.
                    wire[-1]["custom_metrics"] = dict(wire[-1].get("custom_metrics") or {}, **{DROPPED_METRIC: reported})
                ok, answer = self._call("sending metrics", "POST", lambda: "/metrics", wire, deadline)
                if ok:
                    with self._lock:
                        self._stats["sent"] += len(batch)
                        self._stats["batches_sent"] += 1
                        self._stats["dropped_unreported"] = max(0, self._stats["dropped_unreported"] - reported)
                        self._stats["last_sent_at"] = utc_iso()
                    batch = []
                    self._apply_settings(answer.get("config") if isinstance(answer, dict) else None)
                    self._succeeded()
                    return True
                err = answer if isinstance(answer, AgentmonError) else None
                if err is not None and err.status == 413 and len(batch) > 1:
                    # Too large: halve the batch (and keep the smaller size), the rest waits its turn.
                    half = len(batch) // 2
                    self.batch_size = max(1, half)
                    with self._lock:
                        self._buffer.extendleft(reversed(batch[half:]))
                        self._inflight = half
                    batch = batch[:half]
                    continue
                if err is not None and err.status in (400, 413, 422):
                    # Sending these again will not help: drop what the server named, retry the rest.
                    batch = self._reject(batch, err)
                    continue
                self._failed("sending metrics", answer)
                return False
            return True
        finally:
            with self._lock:
                if batch:  # unsent: back to the front, then the bound (oldest first)
                    self._buffer.extendleft(reversed(batch))
                    extra = len(self._buffer) - self.buffer_size
                    for _ in range(max(0, extra)):
                        self._buffer.popleft()
                    if extra > 0:
                        self._note_dropped(extra)
                self._inflight = 0

    def _reject(self, batch: List[Dict[str, Any]], err: AgentmonError) -> List[Dict[str, Any]]:
        """Drops the payloads a 400 names (``/body/<i>/...``), or the whole batch. Returns the rest."""
        bad = set()
        if err.status == 400:
            for d in err.details:
                m = re.match(r"^/body/(\d+)(/|$)", str(d.get("path", ""))) if isinstance(d, dict) else None
                if m:
                    bad.add(int(m.group(1)))
        if not bad:
            bad = set(range(len(batch)))
        with self._lock:
            self._stats["rejected"] += len(bad)
            self._stats["errors"] += 1
            self._stats["last_error"] = "server rejected payloads: %s" % err
        self.log.warning("agentmon: server rejected %d payload(s), dropping them: %s", len(bad), err)
        return [p for i, p in enumerate(batch) if i not in bad]

    def _send_health(self, deadline: Optional[float]) -> Optional[bool]:
        """Sends the latest health report. True sent (or rejected), False failed, None nothing to send."""
        with self._lock:
            report = self._pending_health
        if report is None:
            return None
        ok, answer = self._call(
            "reporting health", "POST", lambda: "/agents/%s/health" % _seg(self._agent_id or ""), report, deadline
        )
        rejected = not ok and isinstance(answer, AgentmonError) and answer.status in (400, 413, 422)
        if ok or rejected:
            with self._lock:
                if self._pending_health is report:
                    self._pending_health = None
                if ok:
                    self._stats["health_reports"] += 1
                else:
                    self._stats["errors"] += 1
                    self._stats["last_error"] = "server rejected the health report: %s" % answer
            if ok:
                self._apply_settings(answer.get("config") if isinstance(answer, dict) else None)
                self._succeeded()
            else:
                self.log.warning("agentmon: server rejected the health report, dropping it: %s", answer)
            return True
        self._failed("reporting health", answer)
        return False

    def _send_heartbeat(self, deadline: Optional[float]) -> bool:
        ok, answer = self._call(
            "heartbeat", "POST", lambda: "/agents/%s/heartbeat" % _seg(self._agent_id or ""), None, deadline
        )
        if ok:
            with self._lock:
                self._stats["heartbeats"] += 1
            self._succeeded()
            return True
        self._failed("heartbeat", answer)
        return False

    def _send_pending(self, deadline: Optional[float]) -> Tuple[bool, bool]:
        """Sends the health report and every buffered payload. Returns (all went, anything went)."""
        with self._send_lock:
            if self._api_key is None and not self._register(self._timeout(deadline)):
                return False, False
            r = self._send_health(deadline)
            if r is False:
                return False, False
            sent = bool(r)
            while True:
                r = self._send_batch(deadline)
                if r is None:
                    return True, sent
                if r is False:
                    return False, sent
                sent = True
                if deadline is not None and time.monotonic() >= deadline:
                    return False, sent
                if deadline is None and self._stopping.is_set():
                    return False, sent  # stop() drains the rest within its deadline

    def _drain(self, deadline: float) -> bool:
        """Sends until nothing is left or ``deadline``, waiting out the backoff between failures."""
        while True:
            with self._lock:
                if not self._buffer and self._pending_health is None:
                    return True
            self._send_pending(deadline)
            now = time.monotonic()
            with self._lock:
                if not self._buffer and self._pending_health is None:
                    return True
                wait = max(0.0, self._next_attempt - now)
            if now + wait >= deadline:
                return False
            time.sleep(wait if wait > 0 else 0.01)

    def _succeeded(self) -> None:
        with self._lock:
            self._failures = 0
            self._next_attempt = 0.0
            self._last_contact = time.monotonic()
            was_failing = self._failing_since_logged
            self._failing_since_logged = False
        if was_failing:
            self.log.info("agentmon: server reachable again")

    def _failed(self, what: str, err: Any) -> None:
        with self._lock:
            self._failures += 1
            delay = min(self.max_backoff, self.initial_backoff * (2 ** min(self._failures - 1, 30)))
            delay = delay / 2 + random.uniform(0, delay / 2)  # equal jitter: agents do not retry in step
            if isinstance(err, AgentmonError) and err.retry_after is not None:
                # AGENT_IN_USE: another run holds the agent until the time the server gives; sooner is refused.
                delay = max(delay, err.retry_after if err.code == "AGENT_IN_USE" else min(err.retry_after, self.max_backoff))
            self._next_attempt = time.monotonic() + delay
            self._stats["failed_sends"] += 1
            self._stats["last_error"] = "%s: %s" % (what, err)
            first = not self._failing_since_logged
            self._failing_since_logged = True
        if first:
            self.log.warning("agentmon: %s failed (%s); retrying in %.1f s, buffering meanwhile", what, err, delay)
        else:
            self.log.debug("agentmon: %s failed again (%s); retrying in %.1f s", what, err, delay)

    def _error(self, what: str, err: BaseException) -> None:
        with self._lock:
            self._stats["errors"] += 1
            self._stats["last_error"] = "%s: %s" % (what, err)
        self.log.warning("agentmon: %s: %s", what, err, exc_info=True)

    def _bad_value(self, what: str, value: Any) -> None:
        with self._lock:
            self._stats["errors"] += 1
            self._stats["last_error"] = "%s: ignored bad value %r" % (what, value)
        self.log.warning("agentmon: %s: ignored bad value %r", what, value)

    # ---------------------------------------------------------------- the thread

    def _run(self) -> None:
        self.collect()  # the first payload goes out at once: the agent shows up online
        self._start_health_checks()
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception as err:  # noqa: BLE001 - the thread never dies of an error
                self._error("reporter step failed", err)
                self._stopping.wait(1.0)
            now = time.monotonic()
            with self._lock:
                wake_at = [self._last_metrics_at + self.interval("metrics_interval_seconds")]
                runner = self._health_runner
                if self._checks and (runner is None or not runner.is_alive()):
                    # (a run still going wakes us when it ends)
                    wake_at.append(self._last_health_at + self.interval("health_check_interval_seconds"))
                pending = bool(self._buffer) or self._pending_health is not None
                if pending or self._api_key is None:
                    wake_at.append(self._next_attempt)
                if self._api_key is not None:
                    wake_at.append(self._last_contact + self.interval("health_check_interval_seconds"))
            self._wake.wait(max(0.005, min(wake_at) - now))
            self._wake.clear()
        # stop(): a last payload, then everything out before the deadline.
        try:
            self.collect()
            self._drain(self._stop_deadline)
        except Exception as err:  # noqa: BLE001
            self._error("final flush failed", err)

    def _step(self) -> None:
        now = time.monotonic()
        if now >= self._last_metrics_at + self.interval("metrics_interval_seconds"):
            self.collect()
        if now >= self._last_health_at + self.interval("health_check_interval_seconds"):
            self._start_health_checks()
        if time.monotonic() < self._next_attempt:
            return  # backing off
        all_sent, sent_any = self._send_pending(None)
        if all_sent and not sent_any and self._api_key is not None:
            if time.monotonic() >= self._last_contact + self.interval("health_check_interval_seconds"):
                with self._send_lock:
                    self._send_heartbeat(None)

    def _start_health_checks(self) -> None:
        """Runs the checks in a thread of their own, so a slow check never holds up metrics."""
        with self._lock:
            if not self._checks or (self._health_runner is not None and self._health_runner.is_alive()):
                return
            self._last_health_at = time.monotonic()
            self._health_runner = threading.Thread(target=self.run_health_checks, name="agentmon-health", daemon=True)
            self._health_runner.start()

    # ---------------------------------------------------------------- stats

    def stats(self) -> Dict[str, Any]:
        """Counters (the TypeScript SDK's MonitorStats, in snake_case) and a few more.

        state, agent_id, registered, settings, metrics_interval_seconds,
        health_check_interval_seconds, buffered (in flight included), buffer_limit, produced, sent,
        dropped, dropped_unreported, rejected, batches_sent, failed_sends, consecutive_failures,
        registrations, heartbeats, health_reports, last_error, last_sent_at; also running,
        health_checks, health_checks_run, errors, config_changes, and tasks_completed,
        tasks_failed (totals since start) and tasks_pending.
        """
        with self._lock:
            out = dict(self._stats)
            out.update(
                state=self._state,
                agent_id=self._agent_id,
                registered=self._api_key is not None,
                settings=dict(self._settings),
                running=self.running,
                buffered=len(self._buffer) + self._inflight,
                buffer_limit=self.buffer_size,
                consecutive_failures=self._failures,
                health_checks=len(self._checks),
                tasks_completed=self._totals["tasks_completed"],
                tasks_failed=self._totals["tasks_failed"],
                tasks_pending=self._tasks_pending,
            )
        out["metrics_interval_seconds"] = self.interval("metrics_interval_seconds")
        out["health_check_interval_seconds"] = self.interval("health_check_interval_seconds")
        return out


def _check_result(name: str, ok: bool, message: Optional[str], elapsed_ms: float) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "name": name,
        "status": bool(ok),
        "timestamp": utc_iso(),
        "execution_time_ms": round(max(0.0, elapsed_ms), 3),
    }
    if message:
        result["message"] = message[:2000]
    return result


async def _await(value: Any) -> Any:
    return await value
