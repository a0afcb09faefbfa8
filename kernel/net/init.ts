// Brings the network up at boot: the first virtio-net device becomes eth0, a NetStack runs
// over it, DHCP configures it, and services (the HTTP API) start. One poller of the event
// loop drives it all: driver -> stack (frames, timers) -> services -> pending ACKs.
//
// The poller is not re-entered: a service that runs a shell command which itself waits in a
// nested event loop (POST /api/shell) would otherwise run the stack inside the stack.
import { nowUs, nowTicks } from "../platform/time";
import { registerPoller, wakeNoLaterThan } from "../kernel_loop";
import { virtioSlots } from "../drivers/virtio/probe";
import { VirtioNet } from "../drivers/virtio/net";
import { NetStack, RX_BUDGET, setHoldBeforeAddress } from "./stack";
import { readTextFile } from "../fs/files";
import { DhcpClient } from "./dhcp";
import { Random } from "../lib/random";

export let netDevice: VirtioNet | null = null;
export let netStack: NetStack | null = null;
export let dhcpClient: DhcpClient | null = null;
/** Why there is no network ("" when there is). */
export let netAbsentReason: string = "not started";

export type NetService = () => void;
const services = new Array<NetService>(0);
let polling = false;
/** Its presence at boot switches on holding of TCP segments that arrive before the DHCP lease. */
export const NET_HOLD_FILE = "/etc/net-hold";
export let netPolls: u64 = 0;

/** Services polled after the stack on every pass (the HTTP server registers here). */
export function registerNetService(service: NetService): void {
  services.push(service);
}

/** Finds the device and starts DHCP; returns the banner line. */
export function startNetwork(): string {
  const slots = virtioSlots();
  for (let i = 0; i < slots.length; i++) {
    if (slots[i].deviceId != 1) continue;
    if (slots[i].version != 2) {
      netAbsentReason = "legacy virtio-mmio net device";
      continue;
    }
    const dev = new VirtioNet("eth0", slots[i].slot);
    if (dev.init() != 0) {
      netAbsentReason = "eth0 " + dev.state;
      return netAbsentReason;
    }
    netDevice = dev;
    const stack = new NetStack(dev);
    stack.nowUs = nowUs();
    stack.tcp.seed(Random.mix(nowTicks()) ^ <u64>dev.mac);
    netStack = stack;
    const dhcp = new DhcpClient(stack);
    dhcpClient = dhcp;
    dhcp.start();
    dev.flush(); // the DISCOVER out now, so the OFFER is waiting by the first pass
    netAbsentReason = "";
    registerPoller(pollNetwork);
    // holding TCP segments that arrive before the lease is off unless /etc/net-hold exists
    // (kernel/net/README.md: with it on, the dashboard's power-cut test met a heap corruption more often)
    const hold = readTextFile(NET_HOLD_FILE, 64) != null;
    setHoldBeforeAddress(hold);
    return "eth0 " + dev.describe() + ", DHCP started" + (hold ? ", holding early TCP segments (" + NET_HOLD_FILE + ")" : "");
  }
  if (netAbsentReason == "not started") netAbsentReason = "no virtio-net device (start QEMU with -device virtio-net-device)";
  return netAbsentReason;
}

export function pollNetwork(): void {
  const stack = netStack;
  if (stack == null || polling) return;
  polling = true;
  netPolls++;
  // a full budget means frames are still waiting: poll again on the next pass instead of
  // sleeping (the device interrupts again only once the ring has been drained)
  if (stack.poll(nowUs()) >= RX_BUDGET) wakeNoLaterThan(nowTicks());
  const d = dhcpClient;
  if (d != null) d.poll();
  for (let i = 0; i < services.length; i++) services[i]();
  stack.tcp.flushAcks();
  stack.nic.flush(); // the pass's frames to the device: one notify, not one per frame
  polling = false;
}

/** Runs one network pass now (a command that waits for the network calls this in its loop). */
export function pollNetworkNow(): void {
  pollNetwork();
}
