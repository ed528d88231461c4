"""A control workload on Ankaios' Python SDK (`ankaios-sdk` 1.0.1 from PyPI), unchanged, that
walks through what an application does with it; tests/tests/e2e_sdk.rs runs it in a container.

Each step prints one line `sdk-check (python): <step>: ok <detail>`; the last line is
`sdk-check (python): all steps passed`, and the exit code is 0 only then. Any failure prints
`sdk-check (python): FAILED <step>: <error>` and exits 1.

Environment: AGENT (this workload's agent), IMAGE (the image of the workload it applies),
NAME (the name of that workload, default sdk_py_echo).
"""

import os
import sys
import time

from ankaios_sdk import (
    Ankaios,
    AnkaiosLogLevel,
    AnkaiosResponseError,
    LogEntry,
    Manifest,
    WorkloadStateEnum,
)

TAG = "sdk-check (python)"
WAIT = 20.0


def say(text):
    print(f"{TAG}: {text}", flush=True)


def main():
    agent = os.environ.get("AGENT", "")
    image = os.environ.get("IMAGE", "localhost/busybox:latest")
    name = os.environ.get("NAME", "sdk_py_echo")
    mask = f"desiredState.workloads.{name}"
    step = "environment"
    try:
        if not agent:
            raise RuntimeError("AGENT is not set")
        step = "connect"
        with Ankaios(AnkaiosLogLevel.WARN) as ank:
            say("connect: ok")

            step = "denied"
            # Only the echo workload is allowed, not all workloads: refused, connection kept.
            try:
                ank.get_state(["desiredState.workloads"], timeout=WAIT)
                raise RuntimeError("reading all workloads was not refused")
            except AnkaiosResponseError as err:
                if "Access denied" not in str(err):
                    raise
                say(f"denied: ok {err}")

            step = "subscribe"
            events = ank.register_event([mask], timeout=WAIT)
            first = events.get(timeout=WAIT)
            say(f"subscribe: ok initial state has {len(first.complete_state.get_workloads())} workloads")

            step = "apply manifest"
            manifest = Manifest.from_string(
                "apiVersion: v1\n"
                "workloads:\n"
                f"  {name}:\n"
                "    runtime: podman\n"
                f"    agent: {agent}\n"
                "    restartPolicy: NEVER\n"
                "    runtimeConfig: |\n"
                f"      image: {image}\n"
                f"      commandArgs: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo hello from {name}; "
                "while true; do sleep 1; done\"]\n"
            )
            done = ank.apply_manifest(manifest, timeout=WAIT)
            added = [i for i in done.added_workloads if i.workload_name == name]
            if len(added) != 1:
                raise RuntimeError(f"expected one added instance of {name}, got {done.added_workloads}")
            instance = added[0]
            say(f"apply manifest: ok added {instance.workload_name}.{instance.workload_id}.{instance.agent_name}")

            step = "event"
            deadline = time.time() + WAIT
            while True:
                event = events.get(timeout=max(0.1, deadline - time.time()))
                if mask in event.added_fields:
                    break
            say(f"event: ok added {event.added_fields}")

            step = "wait for state"
            ank.wait_for_workload_to_reach_state(instance, WorkloadStateEnum.RUNNING, timeout=WAIT)
            say("wait for state: ok running")

            step = "logs"
            logs = ank.request_logs([instance], follow=True, timeout=WAIT)
            deadline = time.time() + WAIT
            while True:
                entry = logs.queue.get(timeout=max(0.1, deadline - time.time()))
                if isinstance(entry, LogEntry) and f"hello from {name}" in entry.message:
                    break
            ank.stop_receiving_logs(logs, timeout=WAIT)
            say(f"logs: ok {entry.message.strip()!r}")

            step = "unsubscribe"
            ank.unregister_event(events, timeout=WAIT)
            say("unsubscribe: ok")

            step = "set agent tags"
            ank.set_agent_tags(agent, {"sdk": "python"}, timeout=WAIT)
            tags = ank.get_agent(agent, timeout=WAIT).tags
            if tags.get("sdk") != "python":
                raise RuntimeError(f"agent {agent} has tags {tags}")
            say(f"set agent tags: ok {dict(tags)}")

            step = "delete manifest"
            done = ank.delete_manifest(manifest, timeout=WAIT)
            if [i.workload_name for i in done.deleted_workloads] != [name]:
                raise RuntimeError(f"expected {name} deleted, got {done.deleted_workloads}")
            say("delete manifest: ok")
    except Exception as err:  # pylint: disable=broad-except
        say(f"FAILED {step}: {type(err).__name__}: {err}")
        sys.exit(1)
    say("all steps passed")


if __name__ == "__main__":
    main()
