// Compositional training wordings (training only, never held out): a question built from parts
// - a frame (ask / action / check / chatty) x the intent's key phrases (objects, verb phrases,
// qualifiers) - so each intent's key words are seen in many contexts and the SAME frames and
// verbs ("switch to", "how is", "can you") are seen with every intent's objects: the object, not
// the frame, has to decide the intent. Whole held-out phrasings stay out: `leaks` rejects a
// composed question equal to a held-out template expansion, or containing one of >= 3 words, or
// using a held-out wrapper (corpus.ts drops such questions and counts them).
import { expand, Rnd, PREFIX_HELD, SUFFIX_HELD } from "./phrasing.ts";
import { INTENTS } from "./intents.ts";

const pick = <T>(a: T[], rnd: Rnd) => a[Math.floor(rnd() * a.length)];

// generic frames: X is an intent's noun phrase (info questions) or verb phrase (actions)
const ASK = [
  "X?", "what about X", "X status", "status of X", "tell me X", "info on X", "details of X", "how is X", "how's X",
  "how are things with X", "what does X look like", "X report", "X info", "show X", "show me X", "check X", "look at X",
  "can you check X", "could you look at X", "I need X", "I need to see X", "I want to see X", "what is X", "whats X",
  "what's X", "X please", "X, please", "give me X", "give X", "report X", "print X", "display X", "quick look at X",
  "can I see X", "let me see X", "what's up with X", "anything on X", "news on X", "update on X", "X now", "X right now",
  "current X", "X at the moment", "summary of X", "X summary", "X overview", "overview of X", "can u show X",
  "pls show X", "lemme see X", "mind showing X", "I'd like to know X", "do you know X", "find out X", "query X",
  "X numbers", "numbers for X", "X stats", "stats for X", "how about X", "X looking ok", "is X ok", "is X fine",
  "what is going on with X", "inspect X", "examine X", "review X", "X check", "get X", "fetch X", "one question about X",
  "and X", "also X", "now X", "next: X", "X pls", "X plz", "X thx", "X??", "X ?", "so what about X", "ok and X",
];
const ACT = [
  "X", "please X", "X please", "X now", "can you X", "could you X", "would you X", "go ahead and X", "X for me",
  "I want to X", "I'd like to X", "I need to X", "I wanna X", "let's X", "lets X", "time to X", "X asap", "pls X",
  "plz X", "just X", "try to X", "X, thanks", "kindly X", "X if needed", "X when you can", "help me X", "how do I X",
  "can we X", "should I X", "should we X", "is it ok to X", "I think we should X", "you should X", "X right away",
  "X immediately", "X already", "ok X", "now X", "then X", "X real quick", "X, ok?", "X?", "make it X", "please just X",
];

interface Parts { ask?: string[]; act?: string[]; whole?: string[] }

// per intent: noun phrases for ASK frames, verb phrases for ACT frames, whole questions built from
// (a|b) parts. Written to share words across intents that are easy to confuse.
const MEMW = "(memory|RAM|ram|mem|main memory|system memory|physical memory|memry|ram space)";
const AIW = "(AI scheduler|attention scheduler|learned scheduler|smart scheduler|ML scheduler|neural scheduler|AI scheduling|attention policy|attention scheduling|learning scheduler|AI policy|machine learning scheduler|model based scheduler|AI sched|neural net scheduler|attention mode|AI mode)";
const FAIRW = "(fair scheduler|fair policy|fair scheduling|normal scheduler|default scheduler|classic scheduler|plain scheduler|round robin|standard scheduler|old scheduler|regular scheduler|non-AI scheduler|fair mode|default policy)";
const DISKW = "(disk|drive|vda|system disk|storage|root disk|hard disk|ssd|volume|disk space)";
const PARTS: Record<string, Parts> = {
  memory: {
    ask: [`${MEMW} usage`, `free ${MEMW}`, `${MEMW} left`, `the ${MEMW}`, `${MEMW} use`, `used ${MEMW}`, `how much ${MEMW} I have`, `${MEMW} consumption`, `${MEMW} available`, `MiB free`, `free megabytes`],
    whole: [`how (much|many MiB of|many megabytes of) ${MEMW} (is|are) (free|left|available|unused|in use|used|remaining)`,
      `(do I|do we|does the system) have (enough|spare|any|much) ${MEMW}( left| free|)`, `(what|how much) ${MEMW} (remains|is there|is spare)`,
      `is ${MEMW} (running low|low|plenty|enough|nearly used up)`, `(how|what) is ${MEMW} (usage|use|consumption) (looking|like|doing)`,
      `${MEMW} (free|used|left) (in MiB|in megabytes|percent|%)`, `how much ${MEMW} (can programs use|is still there|is not used)`,
      `(am I|are we) (short|low) on ${MEMW}`, `total and free ${MEMW}`, `(give|tell) me (free|used) ${MEMW}`],
  },
  fragmentation: {
    ask: [`fragmentation`, `${MEMW} fragmentation`, `the largest free block`, `the biggest free block`, `contiguous free ${MEMW}`, `free block sizes`, `the fragmentation percentage`, `heap fragmentation`, `page fragmentation`],
    act: [`compact ${MEMW}`, `defragment ${MEMW}`, `defrag ${MEMW}`, `run compaction`, `run memctl compact`, `do a compaction`, `compact the heap`, `compact free pages`, `merge free blocks`, `defragment the heap`],
    whole: [`is ${MEMW} (fragmented|scattered|in pieces|broken up)`, `(would|will|does) (compaction|compacting|a compaction|defragmenting) (help|do anything|be useful)`,
      `(is|are) (there|we) (a large|any big|a big) (free block|contiguous block|chunk of free memory)`, `(how|what) (big|large) is the (biggest|largest) free (block|chunk|region)`,
      `(is|how much) fragmentation (high|bad|a problem|an issue)`, `(need|do I need|should we do) (compaction|a compact|defragmentation)`],
  },
  oom: {
    ask: [`OOM risk`, `the OOM risk`, `out of memory risk`, `the chance of OOM`, `the odds of running out of ${MEMW}`, `${MEMW} pressure`, `OOM danger`, `OOM probability`, `oom likelihood`, `the risk of an OOM`],
    whole: [`(will|could|might|are we going to) (I|we|the system|the box|it) run out of ${MEMW}( soon|)`, `(is|how close is) (an|the) (OOM|out of memory|OOM kill) (coming|near|close|likely|imminent)`,
      `(how likely|what are the odds|what is the chance) (is an|of an|of) (OOM|out of memory|running out of ${MEMW})`, `(is there|any) (danger|risk|chance) of (OOM|an OOM|an out of memory)`,
      `(will|could) (the OOM killer|something) (kill|hit) (a task|something|us)`, `(should I|do I need to) (worry|care) about (OOM|out of memory|${MEMW} pressure)`,
      `(is|how high is) ${MEMW} pressure( high| bad|)`, `(are we|am I) (near|close to|about to hit) (OOM|out of memory)`],
  },
  oom_events: {
    ask: [`OOM events`, `OOM kills`, `past OOMs`, `out of memory events`, `OOM incidents`, `the OOM killer log`, `OOM history so far`, `earlier OOM kills`, `the count of OOM events`, `out of memory kills so far`],
    whole: [`(have there been|were there|did we have|did we get) (any|some) (OOM|out of memory) (events|kills|incidents|errors)( recently| lately| today|)`,
      `(has|did) (the OOM killer|OOM) (killed|kill|fired|run|triggered|done anything)( yet| lately|)`, `(how many|number of) (OOM|out of memory) (events|kills|incidents) (happened|so far|occurred)`,
      `(did|has) (anything|any task|a task) (been killed|get killed|die) (for|because of) (lack of|low|no) ${MEMW}`, `(did|have) allocations (fail|failed) (recently|lately|today)`],
  },
  predictor: {
    ask: [`the OOM predictor`, `the crash predictor`, `the OOM model`, `the out of memory predictor`, `the predictor`, `the OOM predictor status`, `crashctl status`, `predictor details`, `the OOM predictor confidence`, `the prediction model`],
    whole: [`(is|how is) the (OOM|crash|out of memory) (predictor|model) (running|working|doing|configured)`, `(which|what) (OOM|crash) (model|predictor) (is used|is running|is loaded)`,
      `(how does|what does) the (OOM|crash) predictor (work|say|think|do)`, `(predictor|OOM model) (thresholds|settings|config|confidence)`],
  },
  scheduler: {
    ask: [`the ${"(scheduler|scheduling policy|CPU scheduler|sched policy|scheduling)"}`, `the current scheduling policy`, `context switches`, `switches per second`, `scheduler stats`, `the sched policy`, `schedctl status`, `the scheduling algorithm`, `scheduler details`, `the policy in use`],
    whole: [`(which|what) (scheduler|scheduling policy|policy|scheduling algorithm) (is|am I|are we) (active|running|using|in use|set|on)`, `(how many|number of) context switches( per second| happen|)`,
      `(what|which) (policy|algorithm) (schedules|runs) (tasks|the tasks|my tasks)`, `(is it|are we on) (fair|attention|heuristic) (or|vs) (attention|fair|heuristic)`,
      `(show|what are) (the |)(scheduler|scheduling) (numbers|counters|statistics)`],
  },
  load: {
    ask: [`cpu load`, `system load`, `the load`, `the run queue`, `runnable tasks`, `cpu usage`, `the cpu`, `load average`, `cpu contention`, `the processor load`],
    whole: [`(is|why is) (the |)(system|machine|cpu|box|processor|computer) (busy|slow|overloaded|loaded|sluggish|lagging|laggy|maxed out)`,
      `(how many|number of) (tasks|threads|jobs) (are |)(runnable|waiting|ready|queued)`, `(is|are) (something|anything|tasks|too many tasks) (hogging|eating|using all) the cpu`,
      `(everything|it|the shell) (feels|is|seems) (slow|sluggish|laggy)`, `(is there|any) (cpu |)(contention|pressure on the cpu|overload)`],
  },
  ai_on: {
    act: [`(turn on|enable|switch on|start|activate|use|switch to|move to|change to|go with|select|pick|choose|set) the ${AIW}`, `(switch|change|move|set) (the |)(scheduler|policy|scheduling) to (attention|AI|the AI one|the learned one)`,
      `(turn|put|switch) the ${AIW} on`, `let the ${AIW} (run|take over|schedule|decide)`, `(start|begin) using the ${AIW}`, `schedctl policy attention`,
      `(give|hand) (scheduling|the cpu) to the ${AIW}`, `(use|try) attention (scheduling|policy|mode) (instead|now|)`],
  },
  ai_off: {
    act: [`(turn off|disable|switch off|stop|deactivate|kill|shut down|remove) the ${AIW}`, `(switch|go|move|change|revert|return|fall) back to the ${FAIRW}`,
      `(use|switch to|move to|change to|go with|select|pick|choose|set) the ${FAIRW}`, `(switch|change|move|set) (the |)(scheduler|policy|scheduling) to (fair|normal|default|classic)`,
      `(turn|put|switch) the ${AIW} off`, `(stop|quit) using the ${AIW}`, `schedctl policy fair`, `(no|enough) ${AIW}( anymore| please|)`, `get rid of the ${AIW}`],
  },
  ai_status: {
    ask: [`the ${AIW} status`, `the state of the ${AIW}`, `whether the ${AIW} is on`, `if the ${AIW} is running`, `the ${AIW}`],
    whole: [`(is|are we using|am I using|do we have) the ${AIW} (on|running|enabled|active|in use|turned on|switched on|working)`, `(is|has) the ${AIW} (been |)(enabled|activated|turned on|started)`,
      `(is|does) (the |)(scheduler|scheduling) (use|using|run on|smart|learned|AI based) (AI|attention|the model|now|right now)`, `(is|are) (AI|attention|the model|machine learning) (scheduling|deciding|picking) (tasks|threads|now)`,
      `(AI|attention) (scheduling|scheduler) (on|off|enabled|disabled) or (off|on|disabled|enabled)`],
  },
  disk: {
    ask: [`${DISKW} usage`, `free ${DISKW}`, `the ${DISKW}`, `${DISKW} capacity`, `space on the ${DISKW}`, `used space`, `free space`, `the cache hit rate`, `the buffer cache`, `${DISKW} utilization`, `how full the ${DISKW} is`],
    whole: [`(how much|what) (space|room|storage|capacity) is (left|free|used|available|remaining) on (the |)${DISKW}`, `is (the |)${DISKW} (full|nearly full|almost full|filling up|out of space|ok)`,
      `(am I|are we) (running out of|low on|short of) (disk|space|storage|disk space)`, `(how|what) (full|used) is (the |)${DISKW}`, `(what|how good) is the (cache|buffer cache|page cache) hit (rate|ratio)`,
      `(percent|how many percent) of (the |)${DISKW} (is used|is free|used)`],
  },
  disks: {
    ask: [`block devices`, `the disks`, `the drives`, `the list of disks`, `attached disks`, `disk devices`, `lsblk`, `all block devices`, `storage devices`],
    whole: [`(what|which|how many) (disks|drives|block devices|storage devices) (are there|do I have|are attached|exist|are present|can I use)`, `(list|show|enumerate|print) (all |the |)(disks|drives|block devices)`,
      `(is there|do I have) (a second|another|an extra|more than one) (disk|drive|block device)`],
  },
  filesystems: {
    ask: [`mounts`, `mount points`, `mounted file systems`, `the file systems`, `the filesystems`, `the root file system`, `fs status`, `what is mounted`, `the mount table`],
    whole: [`(what|which) (file systems|filesystems|volumes) are (mounted|in use|there)`, `is (the root|root|/|the root file system|the fs) (writable|read only|read-only|mounted|rw|ro)`,
      `(can I|can we|is it possible to) write (to the disk|to root|to /|files)`, `(where is|how is) (root|/|the root fs) mounted`, `(what|which) (fs|file system) (type is|is) (root|/|on vda)`],
  },
  journal: {
    ask: [`the journal`, `the jbd2 journal`, `the ext4 journal`, `jbd2`, `journal health`, `journal commits`, `the file system journal`, `journal replay`, `the journal state`],
    whole: [`is (the |)(journal|jbd2|journaling|the ext4 journal) (ok|healthy|working|on|fine|active)`, `(was|did) the journal (replayed|replay|recover)( at mount| at boot|)`,
      `(how many|any) journal (commits|transactions|replays)`, `(how long do|what is the latency of) journal commits( take|)`],
  },
  traces: {
    ask: [`the AI decisions`, `recent AI decisions`, `the decision trace`, `the trace`, `traces`, `the AI trace`, `the trace log`, `model decisions`, `tracectl list`, `the decision log`],
    whole: [`(what|which) decisions (did the AI|has the AI|did the model|were) (make|made|take|taken)`, `(why did|what did) the (AI|model|kernel AI) (do|decide|choose) (that|lately|recently|)`,
      `(how many|number of) (decisions|traced decisions|AI decisions) (are there|in the trace|so far)`, `(audit|explain) the (AI|AI decisions|model decisions)`],
  },
  devices: {
    ask: [`devices`, `the devices`, `hardware`, `the hardware`, `virtio devices`, `peripherals`, `the device list`, `lsdev`, `attached hardware`],
    whole: [`(what|which) (devices|hardware|virtio devices|peripherals) (are there|do I have|are attached|are present|exist)`, `(list|show|enumerate|print) (all |the |)(devices|hardware|peripherals)`,
      `is there (a|any) (network card|nic|rng|console|virtio device)`],
  },
  uptime: {
    ask: [`uptime`, `the uptime`, `time since boot`, `the boot time`, `system uptime`, `how long it has been up`, `time since the last reboot`],
    whole: [`how long (has it|has the system|has the machine|have we|has the box|has SIS) been (up|running|alive|on)`, `(when|what time) did (it|the system|the kernel|the box) (boot|start|come up)`,
      `how long (since|ago was) (boot|the boot|the last reboot|startup)`, `(up|running) (for how long|how long|since when)`],
  },
  version: {
    ask: [`the version`, `the kernel version`, `the SIS version`, `the build`, `the release`, `version info`, `the os version`, `uname -a`],
    whole: [`(what|which) (version|release|build) (of SIS|of the kernel|is this|am I running|is installed)`, `(what|which) (kernel|os|system) (is this|am I running|is running)`,
      `(show|print|tell me) the (kernel |SIS |os |)(version|release)`],
  },
  tasks: {
    ask: [`tasks`, `the tasks`, `running tasks`, `the task list`, `all tasks`, `the running tasks`, `kernel tasks`, `ps`, `top`, `threads`],
    whole: [`(what|which) (tasks|threads|jobs) (are running|exist|are there|run)`, `(list|show|print|enumerate) (all |the |)(tasks|running tasks|threads|jobs)`,
      `(how many|number of) (tasks|threads|jobs) (are there|exist|run|are running)`, `what is (running|the kernel doing|going on)( now| right now|)`],
  },
  sync: {
    act: [`(flush|sync|write out|write back|persist|commit|save) (my writes|the cache|dirty buffers|everything|all data|the data|pending writes|dirty pages|my files) (to disk|to vda|to storage|)`,
      `sync (the disk|the file system|the fs|now|everything|data)`, `make (sure|certain) (my data|my files|everything|writes) (is|are) (on disk|durable|safe|written)`,
      `(flush|sync) (buffers|the buffer cache|the page cache)`, `run sync`, `(force|do) a sync`],
  },
  network: {
    ask: [`the network`, `network status`, `the net`, `internet`, `connectivity`, `the link`, `the nic`, `my ip`, `dhcp`, `the network link`, `net status`],
    whole: [`is the (network|net|internet|link|connection|nic) (up|working|connected|online|down|ok)`, `(do I|do we|does the system) have (network|internet|connectivity|a connection|an ip)`,
      `(am I|are we|is the box) (online|connected|offline)`, `(can I|can we) (reach|get to|connect to) the (network|internet|host)`, `(what is|whats) (my|the) ip( address|)`],
  },
  processes: {
    ask: [`user processes`, `user programs`, `user space processes`, `EL0 processes`, `the process table`, `running binaries`, `procctl list`, `user space programs`, `executables running`],
    whole: [`(which|what|are there|any) (user processes|user programs|programs|binaries|executables|user space processes) (are running|running|run|exist|in user space)`,
      `(list|show|print) (all |the |)(user processes|user programs|processes|the process table|EL0 processes)`],
  },
  help: {
    ask: [`help`, `the commands`, `the command list`, `all commands`, `usage`, `the help`, `available commands`],
    whole: [`(what|which) (commands|things) (can I|are there|exist|do you have|can I run|can I type)`, `(how do I|how can I) use (this shell|the shell|this|SIS)`,
      `(I am|im|I'm) (lost|confused|new here|stuck)`, `(what can you|what do you) (do|support|offer)`, `(list|show) (all |the |)(commands|help)`],
  },
  health: {
    ask: [`system health`, `overall health`, `the overall status`, `the system`, `a health check`, `a status report`, `a summary`, `an overview`, `everything`, `the whole system`],
    whole: [`is (everything|all|the system|the machine|the box|it all) (ok|fine|alright|healthy|good|in order|working)`, `(any|are there any) (problems|issues|errors|warnings|concerns)( right now|)`,
      `(does|is there) anything (need|needing|that needs) (attention|fixing|a look)`, `(how is|how's) (the system|everything|the machine|the box) (doing|holding up|going)`,
      `(should I|do I need to) worry about anything`, `(is|anything) (something|anything) wrong`, `how are things( looking|)`],
  },
};

export interface Leaks { exact: Set<string>; long: string[] }

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9 ]+/g, " ").replace(/\s+/g, " ").trim();

/** Every expansion of every held-out template, normalised. */
export function heldWordings(isHeld: (i: number) => boolean): Leaks {
  const out = new Set<string>();
  const all = (t: string): string[] => {
    const m = /\(([^()]*)\)/.exec(t);
    if (!m) return [t];
    return m[1].split("|").flatMap((a) => all(t.slice(0, m.index) + a + t.slice(m.index + m[0].length)));
  };
  for (const it of INTENTS) it.phrasings.forEach((t, i) => { if (isHeld(i)) all(t).forEach((x) => out.add(norm(x))); });
  return { exact: out, long: [...out].filter((x) => x.split(" ").length >= 3) };
}

// the held-out wrappers of two or more words ("right," and "please?" alone are everyday words)
const HELD_WRAP = [...PREFIX_HELD, ...SUFFIX_HELD].map(norm).filter((x) => x.split(" ").length >= 2);

/** Does a composed (pre-noise) question reproduce a held-out wording or wrapper? */
export function leaks(q: string, h: Leaks): boolean {
  const n = norm(q), padded = ` ${n} `;
  if (h.exact.has(n)) return true;
  if (h.long.some((x) => padded.includes(` ${x} `))) return true;
  return HELD_WRAP.some((x) => padded.includes(` ${x} `));
}

/** A compositional wording for an intent (before chatty wrappers, noise and typos), or null. */
export function composeParts(intent: string, rnd: Rnd): string | null {
  const p = PARTS[intent];
  if (!p) return null;
  const kinds: string[] = [];
  if (p.ask) kinds.push("ask", "ask");
  if (p.act) kinds.push("act", "act");
  if (p.whole) kinds.push("whole", "whole", "whole");
  const kind = pick(kinds, rnd);
  if (kind === "whole") return expand(pick(p.whole!, rnd), rnd);
  const x = expand(pick(kind === "ask" ? p.ask! : p.act!, rnd), rnd);
  return pick(kind === "ask" ? ASK : ACT, rnd).replace("X", x);
}

export const PART_INTENTS = Object.keys(PARTS);
