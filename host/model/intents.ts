// What a user of the SIS shell asks about, in many phrasings, and the rule-labelled answer
// for a state: one or two sentences using the state's numbers, ending with the command that
// is right for that state ("none" when nothing needs doing). Phrasings are templates with
// inline choices "(a|b|c)"; a whole template is either training or held-out (corpus.ts).
// Numbers are written as slots ($free, $frag, $big...: SLOTS in state.ts) that the kernel
// fills from the state line: the model decides what to say and which numbers to cite, and
// must still read the numbers to pick the command (the rules compare them to thresholds).
import {
  State, needsCompaction, lowMemory, oomHigh, DISK_FULL, BUSY_RUN,
} from "./state.ts";

export interface Intent {
  name: string;
  /** Question templates; every 5th (index % 5 == 2) is held out for evaluation. */
  phrasings: string[];
  /** More training-only templates (never held out; written not to copy a held-out one). */
  more?: string[];
  answer(s: State): [string, string];
}

const M = "(memory|RAM|ram|mem|main memory)";
const SCHED = "(scheduler|scheduling policy|CPU scheduler|sched policy)";
const AI = "(AI scheduler|attention scheduler|learned scheduler|smart scheduler|ML scheduler|neural scheduler|AI scheduling)";
const DISK = "(disk|drive|vda|system disk|storage)";

export const INTENTS: Intent[] = [
  {
    name: "memory",
    phrasings: [
      `how much ${M} is (free|available|left)`, `${M} usage`, `free ${M}?`, `what is the ${M} situation`,
      `how much ${M} do I have`, `show me ${M}`, `is there enough ${M}`, `${M} (free|available)`,
      `how much ${M} (is used|is in use|am I using)`, `tell me about ${M}`, `check ${M}`, `do we have (spare|free) ${M}`,
      `what's my ${M} like`, `${M} status`, `how full is ${M}`, `am I low on ${M}`, `give me the ${M} numbers`,
      `available ${M}`, `is ${M} (ok|fine|tight)`, `how much ${M} remains`,
    ],
    more: [`${M} left?`, `report ${M} usage`, `what fraction of ${M} is free`, `how much ${M} can I still use`, `percentage of ${M} free`],
    answer(s) {
      const low = lowMemory(s) || oomHigh(s);
      return [`$free MiB of $total MiB free ($freepct%), OOM risk $oom%.` +
        (low ? " Memory is low: look at what uses it." : ""), low ? "ps" : "none"];
    },
  },
  {
    name: "fragmentation",
    phrasings: [
      `is ${M} fragmented`, `should I compact ${M}`, `how fragmented is ${M}`, `fragmentation?`,
      `do I need (compaction|to compact|to defragment)`, `${M} fragmentation`, `would compaction help`,
      `check fragmentation`, `defrag ${M}`, `is it worth (running compaction|compacting)`, `what is the fragmentation level`,
      `largest free block`, `can I get a big contiguous block`, `compact ${M} (if needed|please|now)`, `is the heap fragmented`,
      `are free pages scattered`, `how big is the largest free chunk`, `does ${M} need defragmenting`, `fragmentation (level|status|score)`,
      `should compaction run`,
    ],
    more: [`is compaction (needed|required|worthwhile)`, `fragmentation percentage`, `how scattered is free ${M}`, `run memctl compact?`, `are there large free blocks`, `biggest free block size`],
    answer(s) {
      const c = needsCompaction(s);
      return [`Fragmentation is $frag% and the largest free block is $big.` +
        (c ? " Compaction will help." : " No compaction needed."), c ? "memctl compact" : "none"];
    },
  },
  {
    name: "oom",
    phrasings: [
      `am I (going|about) to run out of ${M}`, `OOM risk?`, `what is the (OOM|out of memory) risk`, `will the system run out of ${M}`,
      `is an OOM coming`, `(chance|probability|likelihood) of (OOM|out of memory)`, `are we close to OOM`, `out of memory soon?`,
      `oom (risk|danger|prediction)`, `should I worry about (OOM|running out of memory)`, `what does the OOM predictor say`,
      `is ${M} pressure high`, `risk of ${M} exhaustion`, `will something get killed for ${M}`, `how likely is an out of memory`,
      `is the box about to OOM`, `predict OOM`, `any danger of running out of ${M}`, `memory pressure`, `how close to oom are we`,
    ],
    more: [`oom risk (percentage|level|score)`, `is ${M} about to run out`, `am I near an out of memory`, `is an OOM likely`],
    answer(s) {
      const hi = oomHigh(s);
      const cmd = !hi ? "none" : needsCompaction(s) ? "memctl compact" : "ps";
      return [`OOM risk is $oom% with $free MiB free.` +
        (!hi ? " No action needed." : cmd == "ps" ? " Risk is high: find the task using memory." : " Risk is high and memory is fragmented: compact."), cmd];
    },
  },
  {
    name: "oom_events",
    phrasings: [
      `were there any OOM (events|kills)`, `did anything run out of ${M}`, `recent OOM events`, `has the OOM killer (fired|run)`,
      `any out of memory (errors|events) lately`, `oom history`, `did we OOM`, `show OOM events`, `how many OOMs (happened|so far)`,
      `was anything killed for ${M}`, `list out of memory incidents`, `did allocations fail recently`, `oom (log|kills)?`,
      `has ${M} ever run out`, `any OOM today`,
    ],
    more: [`did the OOM killer kill anything`, `count of OOM events`, `any out of memory kills recently`, `were tasks killed for lack of ${M}`, `show the OOM killer history`],
    answer(s) {
      return s.ev > 0 ? [`$ev OOM events recently.`, "crashctl history"] : ["No OOM events recently.", "none"];
    },
  },
  {
    name: "predictor",
    phrasings: [
      `show the OOM predictor`, `OOM predictor status`, `what is the crash predictor doing`, `how confident is the OOM model`,
      `oom model details`, `crashctl status`, `which OOM model is in use`, `predictor (state|thresholds)`, `status of the out of memory predictor`,
      `is the OOM predictor (running|working)`,
    ],
    more: [`OOM predictor (confidence|details)`, `how does the OOM predictor work`],
    answer(s) { return [`The OOM predictor puts the risk at $oom%.`, "crashctl status"]; },
  },
  {
    name: "scheduler",
    phrasings: [
      `which ${SCHED} is (running|active|in use)`, `${SCHED} status`, `what ${SCHED} am I using`, `show the ${SCHED}`,
      `how is the ${SCHED} doing`, `tell me about the ${SCHED}`, `what policy does the scheduler use`, `scheduling stats`,
      `context switches per second`, `how many context switches`, `${SCHED} info`, `current ${SCHED}`, `scheduler?`,
      `what is scheduling tasks`, `describe the ${SCHED}`,
    ],
    more: [`which scheduling (algorithm|policy) is (on|set)`, `schedctl status`, `switches per second?`, `what is the active ${SCHED}`, `report the ${SCHED}`],
    answer(s) { return [`Scheduler $policy, $run runnable, $sw switches/s.`, "schedctl status"]; },
  },
  {
    name: "load",
    phrasings: [
      `is the (system|machine|cpu|box) (busy|overloaded|loaded)`, `(cpu|system) load`, `why is (it|everything) slow`,
      `how many tasks are runnable`, `is the cpu (maxed|saturated|pegged)`, `is anything hogging the cpu`, `how busy is the (cpu|system)`,
      `run queue length`, `is there cpu contention`, `system feels sluggish`, `whats the load`, `too many runnable tasks?`,
      `is the processor overloaded`, `check cpu load`, `are tasks waiting for cpu`,
    ],
    more: [`is the (system|machine|cpu) under load`, `how loaded is the cpu`, `too much load?`, `number of runnable tasks`],
    answer(s) {
      const busy = s.run >= BUSY_RUN;
      return [`$run tasks runnable, $sw switches/s: ` + (busy ? "the system is busy." : "load is normal."), busy ? "ps" : "none"];
    },
  },
  {
    name: "ai_on",
    phrasings: [
      `(turn on|enable|switch on|start|activate) the ${AI}`, `use the ${AI}`, `switch to the ${AI}`, `(enable|use) attention scheduling`,
      `let the AI schedule tasks`, `I want the ${AI}`, `make the scheduler learn`, `(turn|switch) scheduling to AI`,
      `can you enable the ${AI}`, `set the scheduler policy to attention`, `go with the ${AI}`, `put the ${AI} in charge`,
    ],
    more: [`(please|) enable AI scheduling`, `activate attention scheduling`, `schedule with the ${AI}`, `change the policy to attention`, `(turn|put) the ${AI} on`],
    answer(s) {
      return s.policy == "attention" ? ["The AI scheduler (attention) is already on.", "none"]
        : [`The scheduler is $policy: switching to the attention policy.`, "schedctl policy attention"];
    },
  },
  {
    name: "ai_off",
    phrasings: [
      `(turn off|disable|switch off|stop|deactivate) the ${AI}`, `go back to the fair scheduler`, `stop using the ${AI}`,
      `use the (normal|classic|plain|fair) scheduler`, `switch to fair scheduling`, `no more ${AI}`, `revert to the default scheduler`,
      `set the scheduler policy to fair`, `can you disable the ${AI}`, `I dont want the ${AI}`, `turn the ${AI} off`,
    ],
    more: [`(please|) disable AI scheduling`, `deactivate attention scheduling`, `back to fair scheduling`, `(turn|shut) the ${AI} down`],
    answer(s) {
      return s.policy == "attention" ? ["The AI scheduler is on: switching back to the fair policy.", "schedctl policy fair"]
        : [`The AI scheduler is not running (policy $policy).`, "none"];
    },
  },
  {
    name: "ai_status",
    phrasings: [
      `is the ${AI} (on|running|enabled|active)`, `am I using the ${AI}`, `is AI scheduling enabled`, `${AI} status`,
      `does the scheduler use AI`, `is the attention policy active`, `is the ${AI} in use`, `is machine learning scheduling tasks`,
      `is the learned policy on`, `what about the ${AI}`, `is the scheduler smart right now`,
    ],
    more: [`is attention scheduling (on|active)`, `is the ${AI} switched on`, `has the ${AI} been enabled`, `AI scheduling (on|off)?`],
    answer(s) {
      return [`The scheduler policy is $policy: the AI scheduler is ${s.policy == "attention" ? "on" : "off"}.`, "none"];
    },
  },
  {
    name: "disk",
    phrasings: [
      `how full is the ${DISK}`, `${DISK} usage`, `how much (space|room) is left on the ${DISK}`, `is the ${DISK} full`,
      `free (disk|storage) space`, `am I running out of (disk|space|storage)`, `${DISK} space`, `how much storage is used`,
      `check the ${DISK}`, `is there room on the ${DISK}`, `disk (capacity|utilization)`, `how much space do I have`,
      `is the cache hit rate good`, `buffer cache hit rate`, `${DISK} (status|health)`, `space left?`, `is storage ok`,
    ],
    more: [`${DISK} (full|almost full)?`, `percent of the ${DISK} used`, `is there free space on the ${DISK}`],
    answer(s) {
      const full = s.used >= DISK_FULL;
      return [`vda is $used% full, cache hit $hit%.` + (full ? " The disk is nearly full." : ""), full ? "df" : "none"];
    },
  },
  {
    name: "disks",
    phrasings: [
      `what (disks|drives|block devices) are (there|attached)`, `list (disks|drives|block devices)`, `show block devices`,
      `which disks do I have`, `lsblk`, `how many disks`, `what storage devices exist`, `block devices?`, `enumerate the disks`,
      `what drives can I use`, `is there a second disk`,
    ],
    more: [`which block devices (exist|are present)`, `list the drives`, `what block devices do I have`],
    answer(s) { return [`The system disk is vda ($used% used).`, "lsblk"]; },
  },
  {
    name: "filesystems",
    phrasings: [
      `what file systems are mounted`, `list (mounts|mounted file systems|filesystems)`, `show mounts`, `which filesystems do I have`,
      `is the root file system (writable|read only|mounted)`, `(file system|filesystem|fs) status`, `mounted volumes`, `what is mounted where`,
      `is / read-only`, `can I write to the disk`, `mount points`, `what fs is root`,
    ],
    more: [`which file systems are mounted`, `is root (writable|read-only)`, `list mount points`, `show the file systems`],
    answer(s) {
      return [`The root file system is ext4 on vda, mounted ${s.ro ? "read-only" : "read-write"}.`, "df"];
    },
  },
  {
    name: "journal",
    phrasings: [
      `is the journal (ok|healthy|working)`, `journal status`, `show the (jbd2|ext4) journal`, `how is the journal doing`,
      `jbd2 state`, `any journal replay`, `journal commits`, `check the journal`, `(file system|fs) journal`, `is journaling on`,
      `was the journal replayed at mount`, `journal commit latency`,
    ],
    more: [`jbd2 status`, `is the ext4 journal (ok|fine)`, `journal (health|state)`, `how is jbd2 doing`],
    answer(s) {
      return [s.ro ? "The root file system is read-only: the journal is idle." : "The root file system is journaled (jbd2).", "fsctl journal"];
    },
  },
  {
    name: "traces",
    phrasings: [
      `show (recent|the latest) AI decisions`, `(decision|ai) trace`, `what did the AI decide`, `list traces`, `show the trace`,
      `what decisions were made`, `tracectl`, `how many decisions are in the trace`, `recent model decisions`, `audit the AI`,
      `why did the AI do that`, `trace log`, `show AI activity`,
    ],
    more: [`list (recent|the) AI decisions`, `show the decision trace`, `count of traced decisions`],
    answer(s) { return [`$trace decisions in the trace.`, "tracectl list"]; },
  },
  {
    name: "devices",
    phrasings: [
      `what devices (are there|do I have)`, `list (devices|hardware)`, `show devices`, `what hardware is (present|attached)`,
      `lsdev`, `which virtio devices exist`, `enumerate devices`, `what peripherals are there`, `show me the hardware`,
      `device list`, `is there a network card`,
    ],
    more: [`list the hardware`, `which devices are attached`, `what virtio devices are there`, `show the device list`],
    answer() { return ["The devices are listed by lsdev.", "lsdev"]; },
  },
  {
    name: "uptime",
    phrasings: [
      `how long (has it|has the system|have we) been (up|running)`, `uptime`, `when did it boot`, `time since boot`,
      `how long since (boot|the last reboot)`, `system uptime?`, `how long has the kernel been running`, `how old is this boot`,
      `running for how long`, `up since when`, `whats the uptime`,
    ],
    more: [`how long has it been running`, `time since the last boot`, `how long since start`, `system uptime`],
    answer(s) { return [`Up $uptime.`, "none"]; },
  },
  {
    name: "version",
    phrasings: [
      `what version is this`, `kernel version`, `which version of SIS`, `version?`, `what am I running`, `show the version`,
      `what build is this`, `uname`, `which release is (this|installed)`, `os version`, `what kernel is this`,
    ],
    more: [`which kernel version`, `show the kernel version`, `what version of the kernel is running`, `what release is this`],
    answer() { return ["The version command prints the kernel version.", "version"]; },
  },
  {
    name: "tasks",
    phrasings: [
      `what is running`, `list (tasks|processes|threads)`, `show (tasks|running tasks|the task list)`, `ps`, `what tasks exist`,
      `how many tasks (are there|exist)`, `which tasks are running`, `what is the system doing`, `show me what runs`,
      `task list`, `top`, `what processes are active`,
    ],
    more: [`which tasks exist`, `what tasks are running right now`],
    answer(s) { return [`$tasks tasks, $run runnable.`, "ps"]; },
  },
  {
    name: "sync",
    phrasings: [
      `(flush|sync|write out) (my writes|the cache|dirty buffers|everything) to disk`, `sync`, `make sure (data|everything) is on disk`,
      `save everything to disk`, `are my files safe on disk`, `persist the changes`, `commit writes to disk`, `sync the file system`,
      `flush buffers`, `write dirty data`, `I want to sync now`,
    ],
    more: [`flush to disk`, `sync the disk`, `write everything to disk now`, `make my writes durable`, `flush dirty buffers`],
    answer(s) {
      return s.ro ? ["The root file system is read-only: nothing to sync.", "none"] : ["Writing dirty buffers to vda.", "sync"];
    },
  },
  {
    name: "network",
    phrasings: [
      `is the network (up|working|connected)`, `(network|net|internet) status`, `do I have (network|internet|connectivity)`,
      `whats my ip`, `is networking ok`, `can I reach the network`, `is the link up`, `show network`, `network?`,
      `am I online`, `check the network`, `is dhcp done`,
    ],
    more: [`is the network link up`, `network (connected|online)?`, `check the network status`, `is there network connectivity`],
    answer(s) {
      return s.net ? ["The network is up.", "netctl status"] : ["The network is down.", "netctl status"];
    },
  },
  {
    name: "processes",
    phrasings: [
      `(list|show) user processes`, `which programs are running`, `any user programs running`, `procctl`, `show running binaries`,
      `what processes are in user space`, `list EL0 processes`, `are there user processes`, `which executables run`,
      `show the process table`,
    ],
    more: [`which user programs run`, `show user space processes`],
    answer() { return ["User processes are listed by procctl.", "procctl list"]; },
  },
  {
    name: "help",
    phrasings: [
      `what can I do`, `help`, `list (commands|the commands)`, `what commands are there`, `how do I use this shell`,
      `show me the commands`, `I am lost`, `what can you do`, `which commands exist`, `usage?`, `command list`,
    ],
    more: [`show the help`, `which commands can I run`, `help me`],
    answer() { return ["The help command lists every command.", "help"]; },
  },
  {
    name: "health",
    phrasings: [
      `is everything (ok|fine|alright|healthy)`, `how is the system (doing|holding up)`, `system health`, `any problems`,
      `health check`, `status report`, `is anything wrong`, `overall status`, `should I worry about anything`, `how are things`,
      `give me a (summary|overview)`, `anything need attention`, `is the machine healthy`, `quick status`,
    ],
    more: [`how healthy is the system`, `any issues`, `system status (summary|overview)`, `does anything need fixing`],
    answer(s) {
      if (oomHigh(s)) return [`OOM risk is $oom%: memory needs attention.`, needsCompaction(s) ? "memctl compact" : "ps"];
      if (s.used >= DISK_FULL) return [`vda is $used% full: the disk needs attention.`, "df"];
      if (needsCompaction(s)) return [`Fragmentation is $frag% with no large free block: compaction will help.`, "memctl compact"];
      return [`All fine: $free MiB free, OOM risk $oom%, vda $used% used.`, "none"];
    },
  },
];
