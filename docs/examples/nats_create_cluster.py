"""Create a GKE cluster over SkyClust's public NATS API and follow it to ClusterReady.

Plain nats-py, nothing of SkyClust's code (docs/nats-api.md):

    pip install nats-py
    export SKYCLUST_NATS_PUBLIC_URL=nats://127.0.0.1:4222     # from .skyclust/dev.env
    export SKYCLUST_API_KEY=sk_...                             # role user or admin
    export SKYCLUST_API_KEY_ID=... SKYCLUST_WORKSPACE_ID=...   # the key's id, its workspace
    python nats_create_cluster.py <credential-id> [cluster-name]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

import nats

PREFIX = "skyclust.public.v1"


async def main(credential_id: str, name: str) -> int:
    key, key_id = os.environ["SKYCLUST_API_KEY"], os.environ["SKYCLUST_API_KEY_ID"]
    workspace = os.environ["SKYCLUST_WORKSPACE_ID"]
    mine = f"{PREFIX}.{workspace}.{key_id}"
    # The key is the token; replies come to the key's own inbox prefix.
    nc = await nats.connect(
        os.environ["SKYCLUST_NATS_PUBLIC_URL"], token=key, inbox_prefix=f"_INBOX_{key_id}"
    )
    try:
        # Subscribe before publishing, so that no outcome or event is missed.
        outcomes = await nc.subscribe(f"{mine}.res.CreateCluster")
        events = await nc.subscribe(f"{PREFIX}.{workspace}.evt.>")
        command = {
            "provider": "gcp",
            "name": name,
            "version": "1.31",
            "region": "us-central1",
            "credential_id": credential_id,
            "node_groups": [{"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 1}],
        }
        # A retry with the same Nats-Msg-Id is stored once: publish again freely on a lost ack.
        ack = await nc.jetstream().publish(
            f"{mine}.cmd.CreateCluster",
            json.dumps(command).encode(),
            headers={"Nats-Msg-Id": str(uuid.uuid4())},
        )
        print(f"command stored: stream {ack.stream}, seq {ack.seq}")
        outcome = json.loads((await outcomes.next_msg(timeout=120)).data)
        if not outcome["ok"]:
            print(f"refused: {outcome['error']['code']}: {outcome['error']['message']}")
            return 1
        cluster = outcome["data"]
        print(f"cluster {cluster['id']} requested")
        while True:
            event = json.loads((await events.next_msg(timeout=600)).data)
            if event.get("subject") != cluster["id"]:
                continue
            kind = event["type"].split(".")[-2]
            print(f"{event['time']} {kind}")
            if kind in ("ClusterReady", "ClusterFailed"):
                break
        reply = await nc.request(f"{mine}.rpc.ListClusters", b'{"provider": "gcp"}', timeout=10)
        listed = json.loads(reply.data)
        print("clusters:", [(c["name"], c["status"]) for c in listed["data"]["items"]])
        return 0 if kind == "ClusterReady" else 1
    finally:
        await nc.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    name = sys.argv[2] if len(sys.argv) > 2 else f"nats-{uuid.uuid4().hex[:6]}"
    sys.exit(asyncio.run(main(sys.argv[1], name)))
