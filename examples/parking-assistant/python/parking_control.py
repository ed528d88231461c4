"""The parking assistant's control workload, on Ankaios' Python SDK (`ankaios-sdk`), unchanged.

It subscribes to the config item `parking` and keeps the workload `parking_assistant` in the
desired state exactly while `parking` is "true": parking begins, the assistant starts; parking
ends (or the config item goes), the assistant is deleted. The same logic as ../rust/src/main.rs.

Environment: PARKING_AGENT (where the assistant runs, default agent_A) and PARKING_IMAGE (its
image, default localhost/busybox:latest).

The control interface access it needs (see ../manifest.yaml): read desiredState.configs.parking,
read and write desiredState.workloads.parking_assistant.
"""

import os
import sys

from ankaios_sdk import Ankaios, AnkaiosLogLevel, Workload

CONFIG = "parking"
ASSISTANT = "parking_assistant"


def say(text):
    print(f"parking-control (python): {text}", flush=True)


def assistant(agent, image):
    return (
        Workload.builder()
        .workload_name(ASSISTANT)
        .agent_name(agent)
        .runtime("podman")
        .restart_policy("NEVER")
        .runtime_config(
            f"image: {image}\n"
            'commandArgs: ["sh", "-c", "trap \'exit 0\' TERM; echo parking assistant active; '
            'while true; do sleep 1; done"]\n'
        )
        .build()
    )


def main():
    agent = os.environ.get("PARKING_AGENT", "agent_A")
    image = os.environ.get("PARKING_IMAGE", "localhost/busybox:latest")
    with Ankaios(AnkaiosLogLevel.WARN) as ank:
        say("connected")
        events = ank.register_event([f"desiredState.configs.{CONFIG}"])
        say(f"watching desiredState.configs.{CONFIG}")
        last = None
        # The first entry is the state at subscription time, then one per change.
        while True:
            event = events.get()
            now = event.complete_state.get_configs().get(CONFIG) == "true"
            if now == last:
                continue
            if now:
                done = ank.apply_workload(assistant(agent, image))
                say(f"parking began: started {ASSISTANT} ({len(done.added_workloads)} added)")
            else:
                done = ank.delete_workload(ASSISTANT)
                say(f"not parking: deleted {ASSISTANT} ({len(done.deleted_workloads)} deleted)")
            last = now


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # pylint: disable=broad-except
        say(f"{type(err).__name__}: {err}")
        sys.exit(1)
