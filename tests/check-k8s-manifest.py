#!/usr/bin/python3
"""check-k8s-manifest.py MANIFEST [ICMPRING] - checks the Kubernetes Indexed
Job example (tools/scale-out/icmpring-indexed-job.yaml) with python3-yaml:
the fields an Indexed Job needs, a shard per index, NET_RAW as the only
capability without privileged mode, the seccomp profile and the fallback
stated, and (with ICMPRING) that every option the pod passes is one that
`icmpring COMMAND --help` lists.  Prints TAP; nothing is sent or deployed."""
import re
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("1..0 # SKIP python3-yaml is not installed (apt-get install python3-yaml)")
    sys.exit(0)

n = 0
fails = 0


def ok(cond, what):
    global n, fails
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {what}")
    if not cond:
        fails += 1


def get(d, *path):
    for p in path:
        if isinstance(d, dict) and p in d:
            d = d[p]
        elif isinstance(d, list) and isinstance(p, int) and p < len(d):
            d = d[p]
        else:
            return None
    return d


path = sys.argv[1]
text = open(path, encoding="utf-8").read()
docs = [d for d in yaml.safe_load_all(text) if d is not None]
print("1..12")

jobs = [d for d in docs if d.get("kind") == "Job"]
ok(len(jobs) == 1 and jobs[0].get("apiVersion") == "batch/v1" and get(jobs[0], "metadata", "name"),
   "one Job of apiVersion batch/v1 with a name")
job = jobs[0] if jobs else {}
spec = job.get("spec", {})
pod = get(spec, "template", "spec") or {}
ctrs = pod.get("containers") or []
c = ctrs[0] if ctrs else {}

completions = spec.get("completions")
ok(spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions >= 1
   and isinstance(spec.get("parallelism"), int) and spec.get("parallelism") >= 1,
   f"completionMode Indexed, completions {completions}, parallelism {spec.get('parallelism')}")
ok(pod.get("restartPolicy") in ("Never", "OnFailure") and len(ctrs) == 1 and c.get("name")
   and c.get("image") and c.get("command"),
   "the pod template: restartPolicy, one container with name, image and command")

script = " ".join(c.get("args") or [])
ok(subprocess.run(["sh", "-n", "-c", script]).returncode == 0, "the container's shell command parses (sh -n)")
words = shlex.split(script.replace(";", " ; "))
opt = {}
for i, w in enumerate(words):
    if w.startswith("--") and i + 1 < len(words):
        opt.setdefault(w, words[i + 1])
ok(opt.get("--shards") == str(completions) and "JOB_COMPLETION_INDEX" in script
   and re.search(r'--shard "?\$i"?', script) and opt.get("--seed", "").isdigit(),
   f"a shard per index: --shards {opt.get('--shards')} = completions, --shard from "
   f"JOB_COMPLETION_INDEX, one fixed --seed {opt.get('--seed')}")
ok("--resume" in opt and "--summary-json" in opt and "-o" in words,
   "each shard writes -o, --summary-json and --resume files")
mounts = {m.get("mountPath") for m in c.get("volumeMounts") or []}
vols = {v.get("name"): v for v in pod.get("volumes") or []}
claim = get(vols.get((c.get("volumeMounts") or [{}])[0].get("name")), "persistentVolumeClaim", "claimName")
pvcs = [d for d in docs if d.get("kind") == "PersistentVolumeClaim" and get(d, "metadata", "name") == claim]
ok("/out" in mounts and claim and pvcs and "ReadWriteMany" in (get(pvcs[0], "spec", "accessModes") or []),
   f"the outputs go to a shared volume (claim {claim}, ReadWriteMany), so a new pod finds its checkpoint")

sc = c.get("securityContext") or {}
caps = sc.get("capabilities") or {}
ok(sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False,
   "not privileged, no privilege escalation")
ok(caps.get("add") == ["NET_RAW"] and caps.get("drop") == ["ALL"],
   f"capabilities: drop ALL, add only NET_RAW (add {caps.get('add')})")
ok(not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
   and not (pod.get("securityContext") or {}).get("privileged"),
   "no host network, PID or IPC namespace")
seccomp = sc.get("seccompProfile") or get(pod, "securityContext", "seccompProfile") or {}
ok(seccomp.get("type") in ("RuntimeDefault", "Localhost")
   and all(s in text for s in ("io_uring_setup", "io_uring_enter", "io_uring_register"))
   and "--no-uring" in text and "EPERM" in text and "sendmmsg/recvmmsg" in text,
   f"seccomp profile {seccomp.get('type')}; the comments name the io_uring calls it must allow "
   "and when the sendmmsg/recvmmsg fallback runs (EPERM, --no-uring)")

if len(sys.argv) > 2:
    cmd = words[words.index("icmpring") + 1] if "icmpring" in words else "?"
    h = subprocess.run([sys.argv[2], cmd, "--help"], capture_output=True, text=True)
    known = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o)\b", h.stdout))
    used = [w for w in words[words.index("icmpring"):] if re.fullmatch(r"--[a-z-]+|-o", w)] \
        if "icmpring" in words else []
    unknown = [w for w in used if w not in known]
    ok(h.returncode == 0 and used and not unknown,
       f"icmpring {cmd} --help lists every option used ({' '.join(used)}); unknown: {unknown}")
else:
    print(f"ok {n + 1} # SKIP no icmpring binary given")
sys.exit(1 if fails else 0)
