#!/usr/bin/env python3
"""pxsnap benchmarks: each case side by side with what a user would otherwise run.

Started by `bench/run` (which builds the release binaries first). Starts `pxsnap-sim` with
generated scenarios, times whole processes with hyperfine (or, without it, with its own repeated
runs and medians), reads freeze windows and request counts from the simulator's
`/sim/timeline` and `/sim/requests`, and writes BENCHMARKS.md. Every figure in that file comes
from this run; nothing is carried over from an earlier one.
"""

import argparse
import base64
import datetime
import http.client
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

STORK_GROUP = "volumesnapshot.external-storage.k8s.io"
SNAPSHOTS = f"volumesnapshots.{STORK_GROUP}"
# Case 1's hook commands: cheap and deterministic, so the freeze window is the tools' own cost.
PRE = "echo frozen > .frozen"
POST = "rm -f .frozen"
SNAPSHOT_DELAY_MS = 200
# Case 1 again for one pod with other controller delays: the freeze window holds the delay, so
# its ratio to the script's depends on it; these rows show by how much.
SWEEP_DELAYS_MS = (0, 50, 100)
GROUP_SNAPSHOT_DELAY_MS = 300
# Case 5's simulated cloud upload.
CLOUD_UPLOAD_MS = 10_000


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


# ---------------------------------------------------------------------------------------------
# The simulator


class Sim:
    """One `pxsnap-sim serve` process, with the credentials its kubeconfig holds."""

    def __init__(self, sim_bin, scenario, workdir, name):
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        # A built-in scenario by name, or one written out from a dict.
        scenario_path = scenario
        if not isinstance(scenario, str):
            scenario_path = self.dir / "scenario.json"
            scenario_path.write_text(json.dumps(scenario, indent=1))
        self.kubeconfig = self.dir / "kubeconfig"
        self.out = self.dir / "sim.out"
        with open(self.out, "w") as out, open(self.dir / "sim.err", "w") as err:
            self.proc = subprocess.Popen(
                [sim_bin, "serve", "--scenario", str(scenario_path),
                 "--kubeconfig-out", str(self.kubeconfig)],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.url = self._wait_for_address()
        m = re.match(r"https://([^:]+):(\d+)$", self.url)
        if not m:
            raise SystemExit(f"pxsnap-sim printed an address I cannot read: {self.url}")
        self.host, self.port = m.group(1), int(m.group(2))
        text = self.kubeconfig.read_text()
        self.token = re.search(r"^\s*token:\s*\"?([^\s\"]+)", text, re.M).group(1)
        ca = re.search(r"certificate-authority-data:\s*\"?([^\s\"]+)", text).group(1)
        self.ca = self.dir / "ca.pem"
        self.ca.write_bytes(base64.b64decode(ca))
        # curl reads the header from a file, so no token appears on a command line.
        self.auth_header = self.dir / "auth-header"
        self.auth_header.write_text(f"Authorization: Bearer {self.token}\n")
        self.auth_header.chmod(0o600)
        self.conn = None

    def _wait_for_address(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            m = re.search(r"^address: (\S+)$", self.out.read_text(), re.M)
            if m:
                return m.group(1)
            if self.proc.poll() is not None:
                err = (self.dir / "sim.err").read_text()
                raise SystemExit(f"pxsnap-sim exited: {err}")
            time.sleep(0.02)
        raise SystemExit("pxsnap-sim printed no address within 30 s")

    def request(self, method, path, body=None, decode=True):
        """One request over plain HTTP (same port), on a kept-alive connection."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.status >= 300:
            raise SystemExit(f"{method} {path}: {resp.status} {data[:300]!r}")
        if not decode:
            return data
        return json.loads(data) if data else None

    def timeline(self):
        return self.request("GET", "/sim/timeline")

    def requests(self):
        return self.request("GET", "/sim/requests")

    def version(self):
        return self.request("GET", "/version")

    def cpu_seconds(self):
        """CPU time of the simulator plus the commands it exec'd and reaped (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.conn:
            self.conn.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------------------------------------
# Timing


class Timer:
    """Whole-process wall times: hyperfine when installed, else repeated runs and medians."""

    def __init__(self, workdir, env):
        self.hyperfine = shutil.which("hyperfine")
        self.workdir = workdir
        self.env = env
        self.count = 0

    def describe(self):
        if self.hyperfine:
            v = subprocess.run([self.hyperfine, "--version"], capture_output=True, text=True)
            return v.stdout.strip()
        return "the harness's own loop (hyperfine not installed): median of the runs"

    def measure(self, commands, runs, warmup, shell=True, rounds=1):
        """commands: [(name, command string)] -> {name: [seconds...]} (warm-up runs excluded).

        With rounds > 1 the commands take turns: each round runs every command `runs` times and
        the samples are pooled, so a burst of load on the shared machine falls on all of them
        instead of on whichever command happened to be running then."""
        pooled = {name: [] for name, _ in commands}
        cpu = {name: [] for name, _ in commands}
        for _ in range(rounds):
            if self.hyperfine:
                times = self._hyperfine(commands, runs, warmup, shell)
            else:
                times = self._loop(commands, runs, warmup, shell)
            for name, _ in commands:
                pooled[name] += times[name]
                cpu[name].append(self.cpu_ms[name])
        self.cpu_ms = {name: sum(v) / len(v) for name, v in cpu.items()}
        return pooled

    def _hyperfine(self, commands, runs, warmup, shell):
        self.count += 1
        export = self.workdir / f"hyperfine-{self.count}.json"
        args = [self.hyperfine, "--style", "basic", "--runs", str(runs), "--warmup",
                str(warmup), "--export-json", str(export)]
        if not shell:
            args.append("-N")
        for name, cmd in commands:
            args += ["--command-name", name]
        args += [cmd for _, cmd in commands]
        subprocess.run(args, check=True, env=self.env, stdout=sys.stderr)
        results = json.loads(export.read_text())["results"]
        self.cpu_ms = {name: (r["user"] + r["system"]) * 1000
                       for (name, _), r in zip(commands, results)}
        return {name: r["times"] for (name, _), r in zip(commands, results)}

    def _loop(self, commands, runs, warmup, shell):
        times = {}
        self.cpu_ms = {}
        for name, cmd in commands:
            argv = ["sh", "-c", cmd] if shell else shlex.split(cmd)
            samples = []
            cpu = children_cpu_seconds()
            for i in range(warmup + runs):
                t0 = time.perf_counter()
                subprocess.run(argv, check=True, env=self.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if i >= warmup:
                    samples.append(time.perf_counter() - t0)
            self.cpu_ms[name] = (children_cpu_seconds() - cpu) * 1000 / (warmup + runs)
            times[name] = samples
        return times


def children_cpu_seconds():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peak_rss_mib(cmd, env, runs=3):
    """Median of `/usr/bin/time -v`'s Maximum resident set size over `runs` runs, in MiB."""
    values = []
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-v"] + shlex.split(cmd), env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise SystemExit(f"{cmd} failed: {p.stderr[-500:]}")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        values.append(int(m.group(1)) / 1024)
    return statistics.median(values)


def peak_rss_of_pid_mib(pid):
    """The high-water mark of a running process's resident memory (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def median_ms(samples):
    return statistics.median(samples) * 1000


# ---------------------------------------------------------------------------------------------
# Scenarios


def pvc(ns, name, labels=None):
    return {"namespace": ns, "name": name, "labels": labels or {}, "phase": "Bound",
            "storageClass": "px-csi-db", "driver": "pxd.portworx.com"}


def pod(ns, name, labels, pvc_name):
    return {"namespace": ns, "name": name, "labels": labels, "phase": "Running",
            "containers": [{"name": "app", "mounts": [
                {"volume": "data", "pvc": pvc_name, "path": "/data"}]}]}


def base_scenario(namespaces, stork=True, snapshot_delay_ms=SNAPSHOT_DELAY_MS):
    return {
        "namespaces": namespaces,
        "storageClasses": [{"name": "px-csi-db", "provisioner": "pxd.portworx.com"}],
        "pvcs": [], "pods": [],
        "controller": {"snapshotDelayMs": snapshot_delay_ms,
                       "groupSnapshotDelayMs": GROUP_SNAPSHOT_DELAY_MS},
        "stork": stork,
    }


def snap_scenario(snapshot_delay_ms=SNAPSHOT_DELAY_MS, with_20_pods=True):
    """Case 1: one pod on its own PVC; 20 pods mounting one shared (RWX) PVC."""
    namespaces = ["bench-1pod", "bench-20pods"] if with_20_pods else ["bench-1pod"]
    s = base_scenario(namespaces, snapshot_delay_ms=snapshot_delay_ms)
    s["pvcs"].append(pvc("bench-1pod", "data"))
    s["pods"].append(pod("bench-1pod", "app-0", {"app": "bench"}, "data"))
    if with_20_pods:
        s["pvcs"].append(pvc("bench-20pods", "shared"))
        for i in range(20):
            s["pods"].append(pod("bench-20pods", f"app-{i}", {"app": "bench"}, "shared"))
    return s


def group_scenario(sizes):
    """Case 3: N PVCs labelled app=bench, each mounted by one pod, one namespace per N."""
    s = base_scenario([f"bench-group-{n}" for n in sizes])
    for n in sizes:
        ns = f"bench-group-{n}"
        for i in range(n):
            s["pvcs"].append(pvc(ns, f"data-{i}", {"app": "bench"}))
            s["pods"].append(pod(ns, f"app-{i}", {"app": "bench"}, f"data-{i}"))
    return s


def cloud_scenario(upload_ms):
    """Case 5: one pod on a Portworx CSI PVC, STORK and CSI both set up, uploads of `upload_ms`."""
    s = base_scenario(["bench-cloud"])
    s["pvcs"].append(pvc("bench-cloud", "data"))
    s["pods"].append(pod("bench-cloud", "app-0", {"app": "bench"}, "data"))
    s["snapshotClasses"] = [
        {"name": "px-local", "driver": "pxd.portworx.com", "default": True},
        {"name": "px-cloud", "driver": "pxd.portworx.com",
         "parameters": {"csi.openstorage.org/snapshot-type": "cloud"}},
    ]
    s["controller"]["cloudSnapshotDelayMs"] = upload_ms
    return s


def seed_snapshots(sim, ns, count):
    """Creates `count` Ready STORK VolumeSnapshots through the API (one POST each, kept-alive
    plain HTTP). The scenario runs without STORK's controller, so they keep the status given."""
    path = f"/apis/{STORK_GROUP}/v1/namespaces/{ns}/volumesnapshots"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for i in range(count):
        sim.request("POST", path, {
            "apiVersion": f"{STORK_GROUP}/v1", "kind": "VolumeSnapshot",
            "metadata": {"name": f"data-{i % 50}-snap-{i:05d}",
                         "annotations": {"portworx/snapshot-type": "local"}},
            "spec": {"persistentVolumeClaimName": f"data-{i % 50}",
                     "snapshotDataName": f"k8s-volume-snapshot-{i:05d}"},
            "status": {"creationTimestamp": now, "conditions": [{
                "type": "Ready", "status": "True", "lastTransitionTime": now,
                "reason": "", "message": "Snapshot created successfully and it is ready"}]},
        })


def server_costs(sim, ns, runs=10):
    """What one request costs the simulator itself (plain HTTP, kept-alive, request to the last
    byte, median ms): the part of each contender's time no client can save."""
    path = f"/apis/{STORK_GROUP}/v1/namespaces/{ns}/volumesnapshots"
    probes = {"one object": f"{path}/data-0-snap-00000", "list page of 1": f"{path}?limit=1",
              "list page of 500": f"{path}?limit=500", "whole list": path}
    costs = {}
    for label, p in probes.items():
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            sim.request("GET", p, decode=False)
            samples.append(time.perf_counter() - t0)
        costs[label] = median_ms(samples)
    return costs


# ---------------------------------------------------------------------------------------------
# Timeline analysis


def events_in(timeline, ns):
    return sorted((e for e in timeline if e.get("namespace") == ns), key=lambda e: e["atNs"])


def shell_command(event):
    cmd = event.get("command") or []
    return cmd[-1] if cmd else None


def snap_windows(timeline, ns, prefix):
    """Case 1: per snapshot whose name starts with `prefix`, the freeze window per pod (its pre
    command's end to its post command's start) around the cut, in ms. Runs never overlap, so
    the pre ends between the previous cut and this one, and the post starts before the next."""
    events = events_in(timeline, ns)
    cuts = [e for e in events if e["kind"] == "snapshotCut"]
    runs = []
    for i, cut in enumerate(cuts):
        if not cut.get("object", "").startswith(f"volumesnapshots/{prefix}"):
            continue
        lo = cuts[i - 1]["atNs"] if i else 0
        hi = cuts[i + 1]["atNs"] if i + 1 < len(cuts) else float("inf")
        pre_end, post_start = {}, {}
        for e in events:
            if e["kind"] == "execEnd" and shell_command(e) == PRE and lo < e["atNs"] < cut["atNs"]:
                pre_end[e["pod"]] = e["atNs"]
            if (e["kind"] == "execStart" and shell_command(e) == POST
                    and cut["atNs"] < e["atNs"] < hi):
                post_start.setdefault(e["pod"], e["atNs"])
        if not pre_end or set(pre_end) != set(post_start):
            raise SystemExit(f"{ns} {cut['object']}: pre/post events do not pair up")
        per_pod = [(post_start[p] - pre_end[p]) / 1e6 for p in pre_end]
        runs.append({"longest": max(per_pod),
                     "overall": (max(post_start.values()) - min(pre_end.values())) / 1e6,
                     "pods": len(per_pod)})
    return runs


def group_windows(events):
    """Case 3: per pod, pre start -> post end (what pxsnap reports) and pre end -> post start
    (the application frozen), in ms; plus the overall first pre start -> last post end."""
    starts, ends = {}, {}
    for e in events:
        if e["kind"] not in ("execStart", "execEnd") or "pod" not in e:
            continue
        phase = "pre" if shell_command(e) == "sleep 0.2" else "post"
        (starts if e["kind"] == "execStart" else ends)[(e["pod"], phase)] = e["atNs"]
    pods = {p for p, _ in starts}
    outer = [(ends[(p, "post")] - starts[(p, "pre")]) / 1e6 for p in pods]
    inner = [(starts[(p, "post")] - ends[(p, "pre")]) / 1e6 for p in pods]
    first = min(starts[(p, "pre")] for p in pods)
    last = max(ends[(p, "post")] for p in pods)
    cut = [e["atNs"] for e in events if e["kind"] == "groupCut"]
    ordered = bool(cut) and all(ends[(p, "pre")] < cut[0] < starts[(p, "post")] for p in pods)
    return {"pods": len(pods), "outer": max(outer), "inner": max(inner),
            "overall": (last - first) / 1e6, "ordered": ordered}


# ---------------------------------------------------------------------------------------------
# The cases


class Bench:
    def __init__(self, args):
        self.args = args
        self.repo = Path(args.repo).resolve()
        self.bin = Path(args.bin_dir).resolve()
        self.pxsnap = str(self.bin / "pxsnap")
        self.sim_bin = str(self.bin / "pxsnap-sim")
        self.work = Path(args.workdir).resolve()
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        home = self.work / "home"
        home.mkdir()
        # kubectl gets its own HOME and discovery cache; the bench never reads ~/.kube.
        self.env = dict(os.environ, HOME=str(home), NO_COLOR="1")
        self.env.pop("KUBECONFIG", None)
        self.kube_cache = self.work / "kube-cache"
        self.timer = Timer(self.work, self.env)
        self.quick = args.quick
        # pxsnap as of the baseline revision, run beside this one in cases 2 and 3.
        self.baseline = (str(Path(args.baseline_bin_dir).resolve() / "pxsnap")
                         if args.baseline_bin_dir else None)
        self.baseline_rev = args.baseline_rev
        self.results = {}
        self.commands = {}

    def runs(self, n):
        return max(2, n // 4) if self.quick else n

    def kubectl_for(self, sim):
        """The kubectl binary the dispatcher on PATH would exec for this server's version, run
        directly: the dispatcher's own /version round trip is not something a user pays with a
        plain kubectl, so leaving it in would flatter pxsnap."""
        kubectl = shutil.which("kubectl")
        if not kubectl:
            raise SystemExit("kubectl is not on PATH")
        v = sim.version()
        versioned = Path(os.path.realpath(kubectl)).parent / f"kubectl.{v['major']}.{v['minor']}"
        chosen = str(versioned) if versioned.exists() else kubectl
        out = subprocess.run([chosen, "version", "--client", "-o", "json"],
                             capture_output=True, text=True, env=self.env)
        try:
            self.kubectl_version = json.loads(out.stdout)["clientVersion"]["gitVersion"]
        except (ValueError, KeyError):
            self.kubectl_version = "unknown"
        self.kubectl_path = chosen
        return chosen

    # -- case 1 --------------------------------------------------------------------------------
    def case_snap(self):
        log("case 1: snap vs the kubectl script")
        out = {}
        sim = Sim(self.sim_bin, snap_scenario(), self.work, "case1")
        try:
            for label, ns, pvc_name, runs in (("1 pod", "bench-1pod", "data", 10),
                                              ("20 pods", "bench-20pods", "shared", 6)):
                out[label] = self.snap_side_by_side(sim, f"case1 {label}", ns, pvc_name, runs)
        finally:
            sim.stop()
        sweep = {}
        for delay in SWEEP_DELAYS_MS:
            log(f"case 1: one pod, controller delay {delay} ms")
            sim = Sim(self.sim_bin, snap_scenario(delay, with_20_pods=False), self.work,
                      f"case1-delay-{delay}")
            try:
                sweep[delay] = self.snap_side_by_side(
                    sim, f"case1 1 pod, delay {delay} ms", "bench-1pod", "data", 6)
            finally:
                sim.stop()
        self.results["case1"] = out
        self.results["case1_sweep"] = sweep

    def snap_side_by_side(self, sim, key, ns, pvc_name, runs):
        """Times pxsnap and the kubectl script taking one snapshot of `pvc_name`, in turns, and
        reads each run's freeze windows from the simulator's timeline."""
        kubectl = self.kubectl_for(sim)
        script = self.repo / "bench" / "kubectl-snap.sh"
        ours = (f"{self.pxsnap} --kubeconfig {sim.kubeconfig} -n {ns} snap {pvc_name} "
                f"--name px-$(date +%s%N) --pre {shlex.quote(PRE)} "
                f"--post {shlex.quote(POST)}")
        theirs = (f"KUBECONFIG={sim.kubeconfig} KUBECTL={kubectl} "
                  f"KUBECTL_CACHE_DIR={self.kube_cache} {script} {ns} app=bench "
                  f"{pvc_name} sh-$(date +%s%N) {shlex.quote(PRE)} {shlex.quote(POST)}")
        self.commands[f"{key} pxsnap"] = ours
        self.commands[f"{key} kubectl script"] = theirs
        times = self.timer.measure([("pxsnap", ours), ("kubectl script", theirs)],
                                   runs=self.runs(runs), warmup=1)
        timeline = sim.timeline()
        # The first run of each tool is hyperfine's warm-up (cold discovery cache).
        return {
            "wall": {k: median_ms(v) for k, v in times.items()},
            "freeze": {"pxsnap": snap_windows(timeline, ns, "px-")[1:],
                       "kubectl script": snap_windows(timeline, ns, "sh-")[1:]},
        }

    # -- case 2 --------------------------------------------------------------------------------
    def case_list(self):
        log("case 2: list vs kubectl get vs a bare GET")
        sizes = (2000, 10000)
        scenario = base_scenario([f"bench-list-{n}" for n in sizes], stork=False)
        sim = Sim(self.sim_bin, scenario, self.work, "case2")
        try:
            kubectl = self.kubectl_for(sim)
            out = {}
            for n in sizes:
                ns = f"bench-list-{n}"
                t0 = time.time()
                seed_snapshots(sim, ns, n)
                log(f"seeded {n} snapshots in {time.time() - t0:.1f} s")
                url = f"{sim.url}/apis/{STORK_GROUP}/v1/namespaces/{ns}/volumesnapshots"
                kc = f"--kubeconfig {sim.kubeconfig}"
                cmds = [
                    ("pxsnap list", f"{self.pxsnap} {kc} list -n {ns}"),
                    ("pxsnap list -o json", f"{self.pxsnap} {kc} list -n {ns} -o json"),
                    ("pxsnap list, one page", f"{self.pxsnap} {kc} list -n {ns} --chunk-size {n}"),
                    ("pxsnap list --api stork", f"{self.pxsnap} {kc} list -n {ns} --api stork"),
                    ("kubectl get", f"{kubectl} {kc} --cache-dir {self.kube_cache} "
                                    f"get {SNAPSHOTS} -n {ns}"),
                    ("kubectl get -o json", f"{kubectl} {kc} --cache-dir {self.kube_cache} "
                                            f"get {SNAPSHOTS} -n {ns} -o json"),
                    ("curl GET", f"curl -sS --fail --cacert {sim.ca} -H @{sim.auth_header} {url}"),
                ]
                if self.baseline:
                    cmds += [("baseline list", f"{self.baseline} {kc} list -n {ns}"),
                             ("baseline list -o json", f"{self.baseline} {kc} list -n {ns} -o json")]
                for name, cmd in cmds:
                    self.commands[f"case2 {n} {name}"] = cmd
                self.check_counts(cmds, n)
                runs = 10 if n == 2000 else 5
                times = self.timer.measure(cmds, runs=self.runs(runs), warmup=2, shell=False,
                                           rounds=3)
                rss = {name: peak_rss_mib(cmd, self.env) for name, cmd in cmds}
                out[n] = {"wall": {k: median_ms(v) for k, v in times.items()}, "rss": rss,
                          "cpu": dict(self.timer.cpu_ms),
                          "server": server_costs(sim, ns),
                          "sim_peak": peak_rss_of_pid_mib(sim.proc.pid)}
            out["empty"] = self.empty_list(sim)
            self.results["case2"] = out
        finally:
            sim.stop()

    def empty_list(self, sim):
        """Start-up plus one request: both tools listing an empty namespace."""
        url = f"{sim.url}/apis/{STORK_GROUP}/v1/namespaces/default/volumesnapshots"
        cmds = [("pxsnap list (empty)", f"{self.pxsnap} --kubeconfig {sim.kubeconfig} list"),
                ("curl GET (empty)",
                 f"curl -sS --fail --cacert {sim.ca} -H @{sim.auth_header} {url}")]
        for name, cmd in cmds:
            self.commands[f"case2 {name}"] = cmd
        times = self.timer.measure(cmds, runs=self.runs(20), warmup=3, shell=False)
        return {k: median_ms(v) for k, v in times.items()}

    def check_counts(self, cmds, n):
        """Every contender must see all n objects, or the comparison is meaningless."""
        for name, cmd in cmds:
            p = subprocess.run(shlex.split(cmd), env=self.env, capture_output=True, text=True)
            if p.returncode != 0:
                raise SystemExit(f"{name} failed: {p.stderr[-500:]}")
            if "json" in name or name.startswith("curl"):
                seen = len(json.loads(p.stdout)["items"])
            else:
                seen = len(p.stdout.strip().splitlines()) - 1  # header line
            if seen != n:
                raise SystemExit(f"{name} saw {seen} snapshots, expected {n}")

    # -- case 3 --------------------------------------------------------------------------------
    def case_group(self):
        log("case 3: group-snap over 20 and 200 PVCs")
        sizes = (20, 200)
        sim = Sim(self.sim_bin, group_scenario(sizes), self.work, "case3")
        try:
            variants = [(20, []), (200, []), (200, ["--parallel", "200"])]
            # This pxsnap with --api stork: the group API the baseline has, without the CSI
            # group discovery that --api auto adds.
            binaries = [("new", self.pxsnap, ["--api", "stork"])]
            if self.baseline:
                binaries.append(("baseline", self.baseline, []))
            out = []
            for n, extra in variants:
                ns = f"bench-group-{n}"
                for _, (which, binary, api) in itertools.product(
                        range(1 if self.quick else 3), binaries):
                    name = f"g{n}-{len(out)}"
                    cmd = ([binary, "--kubeconfig", str(sim.kubeconfig), "-n", ns,
                            "group-snap", "-l", "app=bench", "--pre", "sleep 0.2",
                            "--post", "true", "-o", "json"] + api + extra + ["--name", name])
                    self.commands[f"case3 {which} {n} PVCs {' '.join(extra)}".rstrip()] = \
                        shlex.join(cmd[:-1] + ["g<N>-<run>"])
                    before_t = len(sim.timeline())
                    before_r = len(sim.requests())
                    sim_cpu = sim.cpu_seconds()
                    own_cpu = children_cpu_seconds()
                    t0 = time.perf_counter()
                    p = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
                    wall = time.perf_counter() - t0
                    own_cpu = children_cpu_seconds() - own_cpu
                    sim_cpu = sim.cpu_seconds() - sim_cpu
                    if p.returncode != 0:
                        raise SystemExit(f"group-snap failed ({p.returncode}): {p.stderr[-800:]}")
                    result = json.loads(p.stdout)
                    events = sim.timeline()[before_t:]
                    reqs = [r for r in sim.requests()[before_r:] if r["resource"]]
                    by_kind = {}
                    for r in reqs:
                        key = f"{r['verb']} {r['resource']}"
                        by_kind[key] = by_kind.get(key, 0) + 1
                    out.append({
                        "bin": which,
                        "pvcs": n, "extra": " ".join(extra), "wall_ms": wall * 1000,
                        "json_longest_ms": result["freeze"]["longestMs"],
                        "json_overall_ms": result["freeze"]["durationMs"],
                        "timeline": group_windows(events),
                        "requests": by_kind, "total_requests": len(reqs),
                        "pxsnap_cpu_ms": own_cpu * 1000, "sim_cpu_ms": sim_cpu * 1000,
                    })
            self.results["case3"] = out
        finally:
            sim.stop()

    # -- case 4 --------------------------------------------------------------------------------
    def case_startup(self):
        log("case 4: start-up")
        cmds = [("pxsnap --version", f"{self.pxsnap} --version"),
                ("pxsnap --help", f"{self.pxsnap} --help")]
        for name, cmd in cmds:
            self.commands[f"case4 {name}"] = cmd
        times = self.timer.measure(cmds, runs=self.runs(200), warmup=20, shell=False)
        self.results["case4"] = {
            "wall": {k: median_ms(v) for k, v in times.items()},
            "size": {b: os.path.getsize(self.bin / b) for b in ("pxsnap", "pxsnap-sim")},
        }


    # -- case 5 --------------------------------------------------------------------------------
    def case_cloud(self):
        log("case 5: cloud-snap through CSI and through STORK's API")
        sim = Sim(self.sim_bin, cloud_scenario(CLOUD_UPLOAD_MS), self.work, "case5")
        try:
            out = {"csi": [], "stork": []}
            for run in range(2 if self.quick else 3):
                for api in ("csi", "stork"):
                    name = f"c-{api}-{run}"
                    cmd = [self.pxsnap, "--kubeconfig", str(sim.kubeconfig), "-n", "bench-cloud",
                           "cloud-snap", "data", "--api", api, "--pre", "true",
                           "--post", "true", "-o", "json", "--name", name]
                    self.commands[f"case5 {api}"] = shlex.join(cmd[:-1] + ["c-<api>-<run>"])
                    t0 = time.perf_counter()
                    p = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
                    wall = time.perf_counter() - t0
                    if p.returncode != 0:
                        raise SystemExit(f"cloud-snap failed ({p.returncode}): {p.stderr[-800:]}")
                    result = json.loads(p.stdout)
                    out[api].append({"freeze_ms": result["freeze"]["durationMs"],
                                     "wall_ms": wall * 1000,
                                     "api": result["snapshot"]["apiVersion"]})
            self.results["case5"] = out
        finally:
            sim.stop()


    # -- case 7 --------------------------------------------------------------------------------
    def case_hold(self):
        log("case 7: how long a held lock outlives the cut")
        sim = Sim(self.sim_bin, "mysql", self.work, "case7")
        try:
            out = []
            for run in range(3 if self.quick else 10):
                name = f"h-{run}"
                hold = "mysql -e 'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};'"
                cmd = [self.pxsnap, "--kubeconfig", str(sim.kubeconfig), "-n", "db", "snap",
                       "mysql-data", "--hold", hold, "--post", "true", "-o", "json",
                       "--name", name]
                self.commands["case7"] = shlex.join(cmd[:-1] + ["h-<run>"])
                before = len(sim.timeline())
                p = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
                if p.returncode != 0:
                    raise SystemExit(f"snap --hold failed ({p.returncode}): {p.stderr[-800:]}")
                events = sim.timeline()[before:]
                at = {}
                for e in events:
                    key = e.get("detail") if e["kind"] == "mark" else e["kind"]
                    at.setdefault(key, e["atNs"] / 1e6)
                out.append({"taken_before_cut_ms": at["snapshotCut"] - at["lock-taken"],
                            "held_after_cut_ms": at["lock-released"] - at["snapshotCut"]})
            self.results["case7"] = out
        finally:
            sim.stop()


# ---------------------------------------------------------------------------------------------
# BENCHMARKS.md


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {"nproc": nproc, "cpu": cpu, "mem": mem, "kernel": platform.release()}


def verdict(ok):
    return "**met**" if ok else "**missed**"


def ms(v):
    return f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms"


def render(bench, started, finished, load_before, load_after, command_line):
    r = bench.results
    m = machine()
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/run`; every figure below comes from the run described here. "
        "Re-run it to refresh this file (it is overwritten).",
        "",
        f"- Command: `{command_line}`",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}; the run took "
        f"{(finished - started).total_seconds() / 60:.1f} min (build included when started "
        "by bench/run)",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem']} memory, Linux {m['kernel']}",
        f"- Load average (1/5/15 min) before: {' '.join(load_before)}, after: "
        f"{' '.join(load_after)} (other builds may share the machine; medians damp this, "
        "they do not remove it)",
        f"- Timing: {bench.timer.describe()}; wall times are medians of whole processes "
        "(case 2's contenders take turns: three rounds in which each runs in turn, samples "
        "pooled); peak memory is the median of three `/usr/bin/time -v` \"Maximum resident set size\".",
        f"- kubectl: `{bench.kubectl_path}` ({bench.kubectl_version}), the binary the "
        "`kubectl` dispatcher on PATH picks for the simulator's version, run directly so the "
        "dispatcher's extra /version request is not counted against kubectl; its own HOME and "
        "`--cache-dir` (discovery cached after the warm-up runs).",
        "- Server: `pxsnap-sim serve --scenario <generated> --kubeconfig-out <path>` on "
        "loopback, HTTPS with the per-run CA from its kubeconfig; pxsnap, kubectl and curl all "
        f"use HTTPS with that CA and the admin bearer token. `snapshotDelayMs: {SNAPSHOT_DELAY_MS}` "
        "(the simulator's default; case 1's delay sweep also uses "
        f"{', '.join(str(d) for d in SWEEP_DELAYS_MS)} ms), "
        f"`groupSnapshotDelayMs: {GROUP_SNAPSHOT_DELAY_MS}`.",
        "",
    ]
    if bench.quick:
        lines += ["**Quick run (`--quick`): fewer repetitions, figures are indicative only.**", ""]
    lines += render_case1(bench, r.get("case1"), r.get("case1_sweep"))
    lines += render_case2(bench, r.get("case2"))
    lines += render_case3(bench, r.get("case3"))
    lines += render_case4(bench, r.get("case4"))
    lines += render_case5(bench, r.get("case5"))
    lines += render_case6(bench, r.get("case6"))
    lines += render_case7(bench, r.get("case7"))
    lines += ["## Exact commands", "",
              "Paths are this run's; `$(date +%s%N)` gives each snapshot its own name. "
              "Case 1 and 2 commands ran under hyperfine (case 2 with `-N`, no shell); "
              "case 3 ran each command once per row.", "", "```"]
    lines += [f"# {k}\n{v}" for k, v in bench.commands.items()]
    lines += ["```", ""]
    return "\n".join(lines)


def med(values):
    return statistics.median(values) if values else float("nan")


def snap_row(d, delay_ms):
    """Case 1 figures of one tool's runs in ms: wall, beyond the delay, freeze windows."""
    out = {}
    for tool in ("pxsnap", "kubectl script"):
        wall = d["wall"][tool]
        runs = d["freeze"][tool]
        longest = med([x["longest"] for x in runs])
        out[tool] = {"wall": wall, "beyond": wall - delay_ms, "longest": longest,
                     "freeze_beyond": longest - delay_ms,
                     "overall": med([x["overall"] for x in runs])}
    return out


def ratios(row):
    return {k: row["pxsnap"][k] / row["kubectl script"][k]
            for k in ("beyond", "longest", "freeze_beyond", "overall")}


def render_case1(bench, c, sweep):
    if not c:
        return []
    lines = [
        "## Case 1: `pxsnap snap` vs a kubectl script",
        "",
        f"One pre (`{PRE}`) and one post (`{POST}`) command, on one pod and on 20 pods that "
        "mount the same PVC (a shared, RWX-style volume: all 20 are frozen for the one "
        "snapshot). The alternative is [`bench/kubectl-snap.sh`](bench/kubectl-snap.sh): "
        "`kubectl get pods -l`, `kubectl exec` pre in every pod in parallel (`&` + `wait`), "
        "`kubectl create -f`, `kubectl wait --for=condition=Ready`, `kubectl exec` post in "
        "parallel. \"Beyond delay\" subtracts the simulator's controller delay "
        f"({SNAPSHOT_DELAY_MS} ms), which neither tool can shorten. Freeze window = a pod's pre "
        "command end to its post command start, from `/sim/timeline`; \"longest\" is the worst "
        "pod of a run, \"overall\" the first pre end to the last post start; medians over the "
        "measured runs (warm-up excluded).",
        "",
        "| pods | tool | wall | beyond delay | freeze longest | longest beyond delay | "
        "freeze overall |",
        "|---|---|---|---|---|---|---|",
    ]
    checks = []
    for label, d in c.items():
        row = snap_row(d, SNAPSHOT_DELAY_MS)
        for tool, x in row.items():
            lines.append(f"| {label} | {tool} | {ms(x['wall'])} | {ms(x['beyond'])} | "
                         f"{ms(x['longest'])} | {ms(x['freeze_beyond'])} | {ms(x['overall'])} |")
        ratio = ratios(row)
        checks.append(
            f"- {label}: time beyond the delay {ratio['beyond']:.2f}× the script's (target ≤ "
            f"0.20: {verdict(ratio['beyond'] <= 0.2)}); longest freeze {ratio['longest']:.2f}× "
            f"(target ≤ 0.50: {verdict(ratio['longest'] <= 0.5)}); the freeze beyond the "
            f"delay {ratio['freeze_beyond']:.2f}×; overall freeze {ratio['overall']:.2f}×.")
    lines += ["", "Ratios, pxsnap ÷ script:", ""] + checks + [""]
    if sweep and "1 pod" in c:
        lines += render_case1_sweep({**sweep, SNAPSHOT_DELAY_MS: c["1 pod"]})
    return lines + notes_for("case1") + [""]


def render_case1_sweep(by_delay):
    """One pod, the same two commands, under several controller delays: both freeze windows
    contain the delay, so the ratio of the two moves with it while what each tool adds does not."""
    runs = {len(d["freeze"]["pxsnap"]) for k, d in by_delay.items() if k != SNAPSHOT_DELAY_MS}
    lines = [
        "One pod again, each controller delay in a simulator of its own (the "
        f"{SNAPSHOT_DELAY_MS} ms row is the table's above; "
        f"{'/'.join(str(n) for n in sorted(runs))} measured runs per tool for the others):",
        "",
        "| controller delay | pxsnap freeze longest | script freeze longest | ratio (target ≤ 0.50) "
        "| pxsnap beyond delay | script beyond delay | ratio beyond delay |",
        "|---|---|---|---|---|---|---|",
    ]
    for delay in sorted(by_delay):
        row = snap_row(by_delay[delay], delay)
        ratio = ratios(row)
        px, sh = row["pxsnap"], row["kubectl script"]
        lines.append(
            f"| {delay} ms | {ms(px['longest'])} | {ms(sh['longest'])} | "
            f"{ratio['longest']:.2f}× ({verdict(ratio['longest'] <= 0.5)}) | "
            f"{ms(px['freeze_beyond'])} | {ms(sh['freeze_beyond'])} | "
            f"{ratio['freeze_beyond']:.2f}× |")
    return lines + [""]


def render_case2(bench, c):
    if not c:
        return []
    lines = [
        "## Case 2: `pxsnap list` vs `kubectl get` vs a bare GET",
        "",
        "Ready STORK VolumeSnapshots created through the API (one POST each) in a scenario "
        "without STORK's controller, so nothing changes while listing. `curl GET` is one "
        "unpaged GET of the whole list over HTTPS with the same CA and bearer token pxsnap "
        "uses (the kubeconfig's `https://` server). pxsnap and kubectl both read in "
        "pages of 500 (their default). `pxsnap list, one page` (`--chunk-size` = the count) "
        "is not a contender: it isolates what the second and later pages cost. Every contender's output was checked to hold all "
        "the snapshots before timing.",
        "",
        "| snapshots | command | wall (median) | ÷ curl | CPU user+sys (mean) | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    checks = []
    sizes = {n: d for n, d in c.items() if n != "empty"}
    for n, d in sizes.items():
        curl = d["wall"]["curl GET"]
        for name, wall in d["wall"].items():
            lines.append(f"| {int(n):,} | `{name}` | {ms(wall)} | {wall / curl:.2f}× | "
                         f"{ms(d['cpu'][name])} | {d['rss'][name]:.1f} MiB |")
        for fmt, kube in (("pxsnap list", "kubectl get"),
                          ("pxsnap list -o json", "kubectl get -o json")):
            ours = d["wall"][fmt]
            vs_curl = (f"target ≤ 1.15 at 2,000: {verdict(ours / curl <= 1.15)}"
                       if int(n) == 2000 else "no target at 10,000")
            checks.append(
                f"- {int(n):,}, `{fmt}`: {ours / curl:.2f}× the bare GET ({vs_curl}); "
                f"{ours / d['wall'][kube]:.2f}× `{kube}` "
                f"(target < 1: {verdict(ours < d['wall'][kube])}); peak {d['rss'][fmt]:.1f} MiB"
                + (f" (target < 40 MiB at 10,000: {verdict(d['rss'][fmt] < 40)})"
                   if int(n) == 10000 else "") + ".")
        if "baseline list" in d["wall"]:
            for fmt, base in (("pxsnap list", "baseline list"),
                              ("pxsnap list --api stork", "baseline list"),
                              ("pxsnap list -o json", "baseline list -o json")):
                ratio = d["wall"][fmt] / d["wall"][base]
                checks.append(f"- {int(n):,}, `{fmt}` against the baseline's `{base[9:] or 'list'}`"
                              f" ({bench.baseline_rev}): {ratio:.3f}× (target ≤ 1.05: "
                              f"{verdict(ratio <= 1.05)}).")
    lines += ["", "The simulator's own cost per request (Python, plain HTTP, kept-alive connection, "
              "request to last byte, median of 10):", ""]
    for n, d in sizes.items():
        lines.append(f"- {int(n):,} snapshots: " + "; ".join(
            f"{label} {ms(v)}" for label, v in d["server"].items())
            + f"; the simulator's peak resident memory so far (VmHWM: holding these objects and "
              f"having served every list above) {d['sim_peak']:.1f} MiB")
    if "empty" in c:
        lines += ["", "Start-up plus one request (an empty namespace, same credentials): "
                  + "; ".join(f"`{k}` {ms(v)}" for k, v in c["empty"].items()) + "."]
    return lines + ["", "Targets:", ""] + checks + [""] + notes_for("case2") + [""]


def render_case3(bench, c):
    if not c:
        return []
    lines = [
        "## Case 3: `pxsnap group-snap` over 20 and 200 PVCs",
        "",
        "`pxsnap group-snap -l app=bench --pre 'sleep 0.2' --post true -o json`, one pod per "
        "PVC, each row one run. \"pxsnap longest\" is the result's `freeze.longestMs` (a pod's "
        "pre start to its post end, so it includes the 0.2 s sleep); from the timeline: "
        "\"frozen\" = the worst pod's pre end to post start, \"overall\" = first pre start to "
        "last post end. \"Cut inside\" says every pre ended before the group cut and every "
        "post started after it. Requests are pxsnap's, from `/sim/requests` (API paths only). "
        "CPU: user + system seconds of the pxsnap process, and of the simulator together with "
        "the `sh`/`sleep` processes it exec'd, during the run (both share the 2 cores).",
        "",
        "| PVCs | flags | wall | pxsnap longest | timeline frozen | timeline overall | cut "
        "inside | pod lists | PVC lists | all requests | CPU pxsnap | CPU sim + commands |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    baseline = [x for x in c if x.get("bin") == "baseline"]
    c = [x for x in c if x.get("bin", "new") == "new"]
    for row in c:
        t = row["timeline"]
        rq = row["requests"]
        lines.append(
            f"| {row['pvcs']} | `{row['extra'] or '(default --parallel 32)'}` | "
            f"{ms(row['wall_ms'])} | {ms(row['json_longest_ms'])} | {ms(t['inner'])} | "
            f"{ms(t['overall'])} | {'yes' if t['ordered'] else 'NO'} | "
            f"{rq.get('list pods', 0)} | {rq.get('list persistentvolumeclaims', 0)} | "
            f"{row['total_requests']} | {ms(row['pxsnap_cpu_ms'])} | {ms(row['sim_cpu_ms'])} |")
    lines += ["", "Requests by kind (last run of each row group):", ""]
    seen = {}
    for row in c:
        seen[(row["pvcs"], row["extra"])] = row["requests"]
    for (n, extra), rq in seen.items():
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(rq.items()))
        lines.append(f"- {n} PVCs{' ' + extra if extra else ''}: {kinds}")
    lines += ["", "Targets:", ""]
    for (n, extra) in seen:
        rows = [x for x in c if x["pvcs"] == n and x["extra"] == extra]
        longest = med([x["json_longest_ms"] for x in rows])
        inner = med([x["timeline"]["inner"] for x in rows])
        lines.append(
            f"- {n} PVCs {extra or '(default)'}: median longest freeze {ms(longest)} as pxsnap "
            f"reports it, {ms(inner)} frozen per the timeline (target ≤ 1 s: "
            f"{verdict(longest <= 1000)} / {verdict(inner <= 1000)}).")
    locate = {n: sorted({x["requests"].get("list pods", 0)
                         + x["requests"].get("list persistentvolumeclaims", 0)
                         for x in c if x["pvcs"] == n}) for n in {x["pvcs"] for x in c}}
    flat = len({tuple(v) for v in locate.values()}) == 1
    for (n, extra) in seen:
        if not baseline:
            break
        same = [x for x in baseline if x["pvcs"] == n and x["extra"] == extra]
        ours = med([x["wall_ms"] for x in c if x["pvcs"] == n and x["extra"] == extra])
        theirs = med([x["wall_ms"] for x in same])
        lines.append(
            f"- {n} PVCs {extra or '(default)'}: median wall {ms(ours)} against the baseline's "
            f"{ms(theirs)} ({bench.baseline_rev}, same simulator, runs in turns): "
            f"{ours / theirs:.3f}× (target ≤ 1.05: {verdict(ours / theirs <= 1.05)}).")
    lines.append(f"- Requests to locate pods (pod + PVC lists) per PVC count: "
                 + ", ".join(f"{n}: {v}" for n, v in sorted(locate.items()))
                 + f" (target: does not grow: {verdict(flat)}).")
    return lines + [""] + notes_for("case3") + [""]


def render_case4(bench, c):
    if not c:
        return []
    w = c["wall"]
    lines = [
        "## Case 4: start-up",
        "",
        "hyperfine `-N` (no shell), 20 warm-up runs; release profile (`lto = \"thin\"`, "
        "`strip = true`).",
        "",
        "| command | wall (median) |",
        "|---|---|",
    ]
    for name, v in w.items():
        lines.append(f"| `{name}` | {v:.2f} ms |")
    lines += ["", f"Release binary size: pxsnap {c['size']['pxsnap'] / 1024 / 1024:.1f} MiB "
              f"(pxsnap-sim {c['size']['pxsnap-sim'] / 1024 / 1024:.1f} MiB).", "",
              f"- `pxsnap --version` {w['pxsnap --version']:.2f} ms (target < 10 ms: "
              f"{verdict(w['pxsnap --version'] < 10)}).", ""]
    return lines + notes_for("case4") + [""]


def render_case5(bench, c):
    if not c:
        return []
    csi = med([r["freeze_ms"] for r in c["csi"]])
    stork = med([r["freeze_ms"] for r in c["stork"]])
    lines = [
        "## Case 5: how long a cloud snapshot keeps the application frozen, CSI against STORK's API",
        "",
        f"`cloud-snap` of one pod's PVC (pre and post commands `true`), a simulated upload of "
        f"{CLOUD_UPLOAD_MS / 1000:.0f} s, through each API in turns, {len(c['csi'])} runs each, "
        "same simulator. The freeze is the result's `freeze.durationMs` (first pre start to last "
        "post end).",
        "",
        "| API | freeze (median) | wall (median) |",
        "|---|---|---|",
    ]
    for api, label in (("csi", "CSI `snapshot.storage.k8s.io/v1`"),
                       ("stork", "STORK `volumesnapshot.external-storage.k8s.io/v1`")):
        rows = c[api]
        lines.append(f"| {label} | {ms(med([r['freeze_ms'] for r in rows]))} | "
                     f"{ms(med([r['wall_ms'] for r in rows]))} |")
    lines += ["", f"- CSI freeze / STORK freeze: {csi / stork:.3f} (target ≤ 1/20 = 0.05: "
              f"{verdict(csi * 20 <= stork)}). CSI releases at `status.creationTime`; STORK's "
              "API shows no cut, so the application stays frozen until the upload is done.", ""]
    return lines + notes_for("case5") + [""]


def render_case6(bench, c):
    if not c:
        return []
    labels = {"baseline": f"pxsnap as of {bench.baseline_rev} (the simulator linked in)",
              "full": "pxsnap now, default features (`demo`: the simulator linked in)",
              "client": "pxsnap now, `--no-default-features` (client only)"}
    lines = [
        "## Case 6: clean release builds and binary size",
        "",
        "`cargo build --release --bin pxsnap` in a fresh target directory each (nothing cached "
        "but the registry's sources), one after another on this machine; size of the stripped "
        "binary.",
        "",
        "| build | clean build (wall) | binary |",
        "|---|---|---|",
    ]
    for key, label in labels.items():
        if key in c:
            lines.append(f"| {label} | {c[key]['seconds']:.0f} s | "
                         f"{c[key]['bytes'] / 1024 / 1024:.1f} MiB |")
    if "client" in c and "baseline" in c:
        lines += ["", f"- Client only against the baseline: "
                  f"{c['client']['seconds'] / c['baseline']['seconds']:.2f}× the build time, "
                  f"{c['client']['bytes'] / c['baseline']['bytes']:.2f}× the size."]
    return lines + [""] + notes_for("case6") + [""]


def render_case7(bench, c):
    if not c:
        return []
    after = med([r["held_after_cut_ms"] for r in c])
    before = med([r["taken_before_cut_ms"] for r in c])
    return [
        "## Case 7: how long a lock held in a session outlives the cut",
        "",
        f"`snap --hold \"mysql -e 'FLUSH TABLES WITH READ LOCK; system ${{WAIT_CMD}};'\"` on the "
        f"simulator's `mysql` scenario (its `mysql` shim holds the lock while its session lives "
        f"and marks lock-taken / lock-released on the timeline; exec'd processes outlive their "
        f"streams, as on containerd), {len(c)} runs. From the timeline: the lock was taken a "
        f"median {ms(before)} before the cut and released a median **{ms(after)} after it** "
        "(pxsnap lets go with one short exec creating the release file the script waits for).",
        "",
        f"- Goal: one exec round trip, a few milliseconds: {verdict(after <= 50)} (≤ 50 ms). "
        "STORK, by its code, lets a background action's lock go only after the post rule has "
        "run (and, for a cloud snapshot, after the upload).",
        "",
    ] + notes_for("case7") + [""]


def notes_for(case):
    """Explanations written after investigating a run (bench/notes/<case>.md), printed as they
    are: they carry reasoning, never figures; the figures are the tables above."""
    path = Path(__file__).parent / "notes" / f"{case}.md"
    return [path.read_text().rstrip()] if path.exists() else []


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin-dir", required=True, help="directory of the release pxsnap binaries")
    ap.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--workdir", default="/tmp/pxsnap-bench")
    ap.add_argument("--out", default=None, help="default: <repo>/BENCHMARKS.md")
    ap.add_argument("--cases", default="1,2,3,4,5,7")
    ap.add_argument("--quick", action="store_true", help="fewer runs (for trying the harness)")
    ap.add_argument("--baseline-bin-dir", default=None,
                    help="directory of the baseline revision's release pxsnap (cases 2 and 3)")
    ap.add_argument("--baseline-rev", default=None, help="the baseline revision, for the report")
    ap.add_argument("--builds", action="append", default=[],
                    help="case 6: LABEL=SECONDS,BINARY of a clean release build (from bench/run)")
    ap.add_argument("--command-line", default="bench/run")
    ap.add_argument("--started", type=float, default=None,
                    help="epoch seconds bench/run started (so the reported time includes the build)")
    args = ap.parse_args()
    bench = Bench(args)
    started = datetime.datetime.now(datetime.timezone.utc)
    if args.started:
        started = datetime.datetime.fromtimestamp(args.started, datetime.timezone.utc)
    load_before = loadavg()
    cases = set(args.cases.split(","))
    bench.kubectl_path, bench.kubectl_version = "kubectl", "not used"
    for key, fn in (("1", bench.case_snap), ("2", bench.case_list), ("3", bench.case_group),
                    ("4", bench.case_startup), ("5", bench.case_cloud), ("7", bench.case_hold)):
        if key in cases:
            fn()
    if args.builds:
        bench.results["case6"] = {
            label: {"seconds": float(seconds), "bytes": os.path.getsize(binary)}
            for label, seconds, binary in (
                (b.split("=", 1)[0], *b.split("=", 1)[1].split(",", 1)) for b in args.builds)
        }
    finished = datetime.datetime.now(datetime.timezone.utc)
    (bench.work / "results.json").write_text(json.dumps(bench.results, indent=1, default=str))
    out = Path(args.out) if args.out else bench.repo / "BENCHMARKS.md"
    out.write_text(render(bench, started, finished, load_before, loadavg(), args.command_line))
    log(f"wrote {out} ({(finished - started).total_seconds():.0f} s)")


if __name__ == "__main__":
    main()
