// The workspace's live events over EventSource. EventSource cannot send a header, so the
// stream is opened with a ticket (POST /api/v1/events/ticket). The browser reconnects by
// itself after a dropped connection, resuming with Last-Event-ID; when the server refuses
// the stream (a ticket gone with its session, a restart), it is opened again here with a
// new ticket, after a growing pause, from the last event id seen.

import { api } from "./api.js";

// The events the pages follow: an EventSource hears only the names it listens for.
const NAMES = [
  "ClusterRequested",
  "ClusterProvisioning",
  "ClusterReady",
  "ClusterFailed",
  "ClusterDeleteRequested",
  "ClusterDeleted",
  "ClusterUpgradeRequested",
  "ClusterUpgraded",
  "ClusterUpgradeFailed",
  "ClusterDriftDetected",
  "ClusterDriftResolved",
  "ClusterNetworkReady",
  "ClusterNetworkFailed",
  "ClusterImported",
  "NodeGroupRequested",
  "NodeGroupReady",
  "NodeGroupFailed",
  "NodeGroupScaled",
  "NodeGroupUpdateRequested",
  "NodeGroupDeleteRequested",
  "NodeGroupDeleted",
  "VpcRequested",
  "VpcReady",
  "VpcFailed",
  "VpcDeleted",
  "VpcDiscovered",
  "SubnetRequested",
  "SubnetReady",
  "SubnetFailed",
  "SubnetDeleted",
  "SecurityGroupRequested",
  "SecurityGroupReady",
  "SecurityGroupFailed",
  "SecurityGroupDeleted",
  "NotificationCreated",
  "BudgetThresholdCrossed",
];

// `resource`: only the events about one cluster or network; `from`: an event id to
// replay after ("0": the whole history the stream keeps, then live).
export class LiveStream {
  constructor({ resource = null, from = null } = {}) {
    this.resource = resource;
    this.listeners = new Set();
    this.source = null;
    this.lastId = from;
    this.pause = 1000;
    this.stopped = true;
    this.state = "closed";
    this.onstate = () => {};
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start() {
    this.stopped = false;
    await this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    this.setState("closed");
  }

  setState(state) {
    this.state = state;
    this.onstate(state);
  }

  async open() {
    if (this.stopped) return;
    this.setState("connecting");
    let ticket;
    try {
      ticket = (await api("POST", "/api/v1/events/ticket")).ticket;
    } catch {
      this.retry();
      return;
    }
    const params = new URLSearchParams({ ticket });
    if (this.resource) params.set("resource", this.resource);
    if (this.lastId) params.set("last_event_id", this.lastId);
    const source = new EventSource(`/api/v1/events/stream?${params}`);
    this.source = source;
    source.onopen = () => {
      this.pause = 1000;
      this.setState("live");
    };
    source.onerror = () => {
      // CONNECTING: the browser retries on its own. CLOSED: it gave up (a refusal).
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        this.retry();
      } else {
        this.setState("connecting");
      }
    };
    for (const name of NAMES) {
      source.addEventListener(name, (message) => this.deliver(name, message));
    }
  }

  retry() {
    if (this.stopped) return;
    this.setState("connecting");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), this.pause);
    this.pause = Math.min(this.pause * 2, 30000);
  }

  deliver(name, message) {
    if (message.lastEventId) this.lastId = message.lastEventId;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    for (const listener of this.listeners) listener(name, event);
  }
}

export const stream = new LiveStream();
