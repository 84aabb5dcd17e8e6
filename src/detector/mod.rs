//! The failure detectors of the lecture, heartbeat and ping, on the same
//! processes, timers, network and runtimes as agreement runs.
//!
//! **Heartbeat** (the default, [`Method::Heartbeat`]): every node sends a heartbeat to every other node every `interval` ms of
//! virtual time and, at the same ticks, suspects each peer whose last
//! heartbeat is older than that peer's timeout; a heartbeat from a suspected
//! peer withdraws the suspicion. A crashed node (`--crash ID@MS`) stops
//! sending and listening at that time. With `adaptive`, a node doubles a
//! peer's timeout each time it finds it suspected that peer wrongly: under
//! partial synchrony that is the eventually perfect detector, whose false
//! suspicions stop once delays are bounded (after GST). A check runs as a
//! node sends its own heartbeat, so with delays between 1 and delta the
//! last heartbeat heard from a live peer is between interval - delta and
//! interval - 1 ms old: a fixed timeout shorter than that suspects live
//! peers over and over, for ever. Under `async` no timeout is right: delays
//! have no bound, so any timeout suspects a live node now and then.
//!
//! **Ping** ([`Method::Ping`]): every node sends each peer a request every
//! `interval` ms and the peer replies at once; at the same ticks a node
//! suspects a peer whose oldest unanswered request is older than the
//! timeout. A reply crosses the network twice, so a live peer's answer is
//! 2 to 2 delta ms old, and a check sees a request unanswered for up to
//! 2 delta ms: a timeout must cover the round trip, not one delay. Each
//! check costs a request and a reply (twice a heartbeat's messages), and
//! the pinger learns more: a reply says the peer heard it, where a heartbeat
//! says only that the peer is up.

pub mod sweep;

use crate::link::LinkSpec;
use crate::protocol::heartbeat::Heartbeat;
use crate::protocol::ping::Ping;
use crate::run::RuntimeKind;
use crate::runtime::RuntimeError;
use crate::runtime::audit::Auditor;
use crate::runtime::clock::Event;
use crate::runtime::network::Network;
use crate::runtime::node::OutFrame;
use crate::runtime::process::{Effects, Process};
use crate::timing::{Millis, Timing, TimingError, TimingModel};
use crate::types::GeneralId;
use crate::wire;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a detector tells a live node from a crashed one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Every node says "I am up" to every other every interval.
    #[default]
    Heartbeat,
    /// Every node asks every other every interval and expects a reply in time.
    Ping,
}

impl Method {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Heartbeat => "heartbeat",
            Method::Ping => "ping",
        }
    }

    /// Messages per check of one peer: a heartbeat, or a request and its reply.
    pub fn messages_per_check(self) -> u64 {
        match self {
            Method::Heartbeat => 1,
            Method::Ping => 2,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Method {
    type Err = crate::types::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "heartbeat" => Ok(Method::Heartbeat),
            "ping" => Ok(Method::Ping),
            other => Err(crate::types::UnknownName {
                kind: "detector method",
                got: other.to_string(),
                expected: "heartbeat or ping",
            }),
        }
    }
}

/// A detector run as asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectSpec {
    /// Heartbeat or ping.
    #[serde(default)]
    pub method: Method,
    /// Nodes.
    pub n: usize,
    /// Which nodes crash, and when (virtual ms).
    pub crashes: Vec<(GeneralId, Millis)>,
    /// Heartbeat or ping (and check) period, in ms.
    pub interval: Millis,
    /// Initial timeout for every peer, in ms.
    pub timeout: Millis,
    /// Double a peer's timeout after each false suspicion of it.
    pub adaptive: bool,
    /// Timing model, delta and GST (the round timeout is not used).
    pub timing: TimingModel,
    /// Delay bound, in ms.
    pub delta: Millis,
    /// Global stabilisation time, in ms.
    pub gst: Millis,
    /// How long the run lasts, in ms.
    pub duration: Millis,
    /// Seed of the delays.
    pub seed: u64,
    /// Runtime.
    pub runtime: RuntimeKind,
}

/// Largest detector run: nodes x heartbeats a run may send.
pub const MAX_HEARTBEATS: u64 = 50_000_000;

/// A detector run that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// Too few or too many nodes.
    #[error("n = {0}: the detector needs 2 to 1024 nodes")]
    Nodes(usize),
    /// A crash of a node that does not exist.
    #[error("--crash {id}@{at}: node {id} does not exist (ids are 0..{})", n - 1)]
    CrashedNode {
        /// The node.
        id: GeneralId,
        /// When.
        at: Millis,
        /// Nodes.
        n: usize,
    },
    /// The same node crashing twice.
    #[error("node {0} is listed to crash twice")]
    CrashedTwice(GeneralId),
    /// No node is left to suspect anyone.
    #[error("all {0} nodes crash: the detector needs a correct node to watch the others (crash at most n - 1)")]
    AllCrash(usize),
    /// A zero interval or timeout.
    #[error("{0} must be at least 1 ms")]
    Zero(&'static str),
    /// A run that would send too many heartbeats.
    #[error(
        "{n} nodes x {duration} ms / {interval} ms would send about {total} heartbeats; the limit is {MAX_HEARTBEATS}"
    )]
    TooLong {
        /// Nodes.
        n: usize,
        /// Duration.
        duration: Millis,
        /// Interval.
        interval: Millis,
        /// Heartbeats it would send.
        total: u128,
    },
    /// Bad timing.
    #[error(transparent)]
    Timing(#[from] TimingError),
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// When a crashed node was suspected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    /// The crashed node.
    pub node: GeneralId,
    /// When it crashed.
    pub crashed_ms: Millis,
    /// When the first correct node suspected it for good (`None`: never).
    pub first_ms: Option<Millis>,
    /// When the last correct node did (`None` unless all did).
    pub last_ms: Option<Millis>,
}

/// What a detector run found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectReport {
    /// Heartbeat or ping.
    #[serde(default)]
    pub method: Method,
    /// Nodes.
    pub n: usize,
    /// Timing model.
    pub timing: TimingModel,
    /// Delay bound, ms.
    pub delta_ms: Millis,
    /// GST, ms.
    pub gst_ms: Millis,
    /// Heartbeat period, ms.
    pub interval_ms: Millis,
    /// Initial timeout, ms.
    pub timeout_ms: Millis,
    /// Adaptive timeouts.
    pub adaptive: bool,
    /// Duration, ms.
    pub duration_ms: Millis,
    /// Seed.
    pub seed: u64,
    /// Runtime.
    pub runtime: RuntimeKind,
    /// Per crashed node, when correct nodes came to suspect it.
    pub detections: Vec<Detection>,
    /// Suspicions of a node that had not crashed, by correct nodes.
    pub false_suspicions: u64,
    /// Of those, the ones raised after GST.
    pub suspicions_after_gst: u64,
    /// Heartbeats sent (0 under ping).
    pub heartbeats: u64,
    /// Messages the detector sent: heartbeats, or pings and their replies.
    #[serde(default)]
    pub messages: u64,
    /// Largest timeout any node held for any peer at the end, ms.
    pub max_timeout_ms: Millis,
}

/// One node's view at the end.
pub(crate) struct Watch {
    suspicions: Vec<(GeneralId, Millis)>,
    /// Per peer: suspected since (`None`: not suspected) at the end.
    suspected_since: Vec<Option<Millis>>,
    heartbeats: u64,
    messages: u64,
    max_timeout: Millis,
    crashed: bool,
}

/// A node of the detector.
pub(crate) struct Watcher {
    method: Method,
    id: GeneralId,
    n: usize,
    interval: Millis,
    duration: Millis,
    adaptive: bool,
    crash_at: Option<Millis>,
    last_heard: Vec<Millis>,
    timeout: Vec<Millis>,
    suspected_since: Vec<Option<Millis>>,
    suspicions: Vec<(GeneralId, Millis)>,
    seq: u32,
    /// Ping: per peer, the requests it answered (the first `answered[p]`
    /// of them, counting from 0, as far as its replies arrived in order:
    /// the highest answered, plus one).
    answered: Vec<u32>,
    /// Ping: replies sent.
    replies: u64,
}

impl Watcher {
    fn down(&self, now: Millis) -> bool {
        self.crash_at.is_some_and(|c| now >= c)
    }

    /// How long peer `p` has gone unheard, as this node's method measures
    /// it at `now`: the age of its last heartbeat, or the age of the
    /// oldest request it has not answered (0 if it answered them all).
    fn silence(&self, p: usize, now: Millis) -> Millis {
        match self.method {
            Method::Heartbeat => now.saturating_sub(self.last_heard[p]),
            // Request k went out at the k-th tick, k x interval.
            Method::Ping if self.answered[p] < self.seq => {
                now.saturating_sub(u64::from(self.answered[p]) * self.interval)
            }
            Method::Ping => 0,
        }
    }

    /// Peer `p` was heard from: a suspicion of it was false.
    fn heard(&mut self, p: usize, now: Millis) {
        self.last_heard[p] = now;
        if self.suspected_since[p].take().is_some() && self.adaptive {
            self.timeout[p] = self.timeout[p].saturating_mul(2);
        }
    }
}

impl Process for Watcher {
    type Report = Watch;

    fn start(&mut self, fx: &mut Effects) {
        fx.timers.push((0, 0));
    }

    fn on_event(&mut self, now: Millis, event: Event, fx: &mut Effects) {
        if self.down(now) {
            return;
        }
        match event {
            Event::Timer(_) => {
                let bytes = Arc::new(match self.method {
                    Method::Heartbeat => wire::encode(0, &Heartbeat { seq: self.seq }),
                    Method::Ping => wire::encode(
                        0,
                        &Ping {
                            seq: self.seq,
                            reply: false,
                        },
                    ),
                });
                // Checked before this tick's request counts as sent.
                for to in (0..self.n as GeneralId).filter(|&p| p != self.id) {
                    let p = usize::from(to);
                    if self.suspected_since[p].is_none() && self.silence(p, now) > self.timeout[p] {
                        self.suspected_since[p] = Some(now);
                        self.suspicions.push((to, now));
                    }
                    fx.sends.push(OutFrame {
                        round: 0,
                        to,
                        bytes: bytes.clone(),
                        trace: None,
                    });
                }
                self.seq += 1;
                if now + self.interval <= self.duration {
                    fx.timers.push((now + self.interval, 0));
                }
            }
            Event::Layer { .. } => {}
            Event::Deliver(env) => {
                let p = usize::from(env.from);
                if p >= self.n || p == usize::from(self.id) {
                    return;
                }
                match self.method {
                    Method::Heartbeat => {
                        if wire::decode::<Heartbeat>(&env.bytes, 64).is_ok() {
                            // A live peer after all: a suspicion was false.
                            self.heard(p, now);
                        }
                    }
                    Method::Ping => match wire::decode::<Ping>(&env.bytes, 64).map(|f| f.msg) {
                        Ok(Ping { seq, reply: false }) => {
                            self.replies += 1;
                            fx.sends.push(OutFrame {
                                round: 0,
                                to: env.from,
                                bytes: Arc::new(wire::encode(0, &Ping { seq, reply: true })),
                                trace: None,
                            });
                        }
                        // A reply to a request this node really sent.
                        Ok(Ping { seq, reply: true }) if seq < self.seq => {
                            self.answered[p] = self.answered[p].max(seq + 1);
                            self.heard(p, now);
                        }
                        _ => {}
                    },
                }
            }
        }
    }

    fn report(&self) -> Watch {
        Watch {
            suspicions: self.suspicions.clone(),
            suspected_since: self.suspected_since.clone(),
            heartbeats: match self.method {
                Method::Heartbeat => u64::from(self.seq) * (self.n as u64 - 1),
                Method::Ping => 0,
            },
            messages: u64::from(self.seq) * (self.n as u64 - 1) + self.replies,
            max_timeout: self.timeout.iter().copied().max().unwrap_or(0),
            crashed: self.crash_at.is_some_and(|c| c <= self.duration),
        }
    }
}

/// Checks a run of the detector before it starts: its nodes, crashes,
/// timing and cost. Returns each node's crash time and the timing.
pub fn check(spec: &DetectSpec) -> Result<(Vec<Option<Millis>>, Timing), DetectError> {
    let n = spec.n;
    if !(2..=1024).contains(&n) {
        return Err(DetectError::Nodes(n));
    }
    for (what, v) in [("--interval", spec.interval), ("--timeout", spec.timeout)] {
        if v == 0 {
            return Err(DetectError::Zero(what));
        }
    }
    let mut crash_at = vec![None; n];
    for &(id, at) in &spec.crashes {
        let slot = crash_at
            .get_mut(usize::from(id))
            .ok_or(DetectError::CrashedNode { id, at, n })?;
        if slot.replace(at).is_some() {
            return Err(DetectError::CrashedTwice(id));
        }
        if at > crate::timing::MAX_MILLIS {
            return Err(TimingError::TooLong {
                what: "crash time",
                value: at,
            }
            .into());
        }
    }
    if crash_at.iter().all(Option::is_some) {
        return Err(DetectError::AllCrash(n));
    }
    let timing = Timing::new(spec.timing, spec.delta, spec.gst, None)?;
    if spec.duration > crate::timing::MAX_MILLIS {
        return Err(TimingError::TooLong {
            what: "duration",
            value: spec.duration,
        }
        .into());
    }
    let total = (n as u128) * (n as u128 - 1) * u128::from(spec.duration / spec.interval + 1);
    if total > u128::from(MAX_HEARTBEATS) {
        return Err(DetectError::TooLong {
            n,
            duration: spec.duration,
            interval: spec.interval,
            total,
        });
    }
    Ok((crash_at, timing))
}

/// Runs the detector.
pub fn detect(spec: &DetectSpec) -> Result<DetectReport, DetectError> {
    let n = spec.n;
    let (crash_at, timing) = check(spec)?;
    let procs: Vec<Watcher> = (0..n)
        .map(|id| Watcher {
            method: spec.method,
            id: id as GeneralId,
            n,
            interval: spec.interval,
            duration: spec.duration,
            adaptive: spec.adaptive,
            crash_at: crash_at[id],
            last_heard: vec![0; n],
            timeout: vec![spec.timeout; n],
            suspected_since: vec![None; n],
            suspicions: Vec::new(),
            seq: 0,
            answered: vec![0; n],
            replies: 0,
        })
        .collect();
    // Heartbeats are a few bytes; the link is authenticated (no adversary
    // to make), so the limit is moot.
    let link = LinkSpec::Authenticated
        .build(
            &crate::link::Adversaries::new(Vec::new()),
            &crate::link::layer::builtins(),
            spec.seed,
            n,
            64,
            None,
        )
        .map_err(RuntimeError::from)?;
    let audit: Box<dyn crate::runtime::audit::Audit> = match spec.method {
        Method::Heartbeat => Box::new(Auditor::<Heartbeat>::new(Default::default())),
        Method::Ping => Box::new(Auditor::<Ping>::new(Default::default())),
    };
    let net = Network::new(link, None, audit, timing, spec.seed, false, None);
    let watches = match spec.runtime {
        RuntimeKind::Direct => {
            let (mut procs, mut net) = (procs, net);
            crate::runtime::direct::drive(&mut procs, &mut net);
            procs.iter().map(Process::report).collect::<Vec<_>>()
        }
        RuntimeKind::Actix => crate::runtime::actix::ActixRunner::new().drive(procs, net)?.0,
    };
    Ok(summarize(spec, &crash_at, &watches))
}

fn summarize(spec: &DetectSpec, crash_at: &[Option<Millis>], watches: &[Watch]) -> DetectReport {
    let correct: Vec<usize> = (0..watches.len()).filter(|&i| !watches[i].crashed).collect();
    let mut false_suspicions = 0;
    let mut after_gst = 0;
    for &o in &correct {
        for &(p, at) in &watches[o].suspicions {
            if crash_at[usize::from(p)].is_none_or(|c| at < c) {
                false_suspicions += 1;
                after_gst += u64::from(at > spec.gst);
            }
        }
    }
    let detections = crash_at
        .iter()
        .enumerate()
        .filter_map(|(p, c)| c.filter(|&c| c <= spec.duration).map(|c| (p, c)))
        .map(|(p, crashed_ms)| {
            // For good: the suspicion a correct node still held at the end.
            let times: Vec<Option<Millis>> = correct
                .iter()
                .filter(|&&o| o != p)
                .map(|&o| watches[o].suspected_since[p].filter(|&t| t >= crashed_ms))
                .collect();
            Detection {
                node: p as GeneralId,
                crashed_ms,
                first_ms: times.iter().flatten().copied().min(),
                last_ms: if times.iter().all(Option::is_some) {
                    times.iter().flatten().copied().max()
                } else {
                    None
                },
            }
        })
        .collect();
    DetectReport {
        method: spec.method,
        n: spec.n,
        timing: spec.timing,
        delta_ms: spec.delta,
        gst_ms: spec.gst,
        interval_ms: spec.interval,
        timeout_ms: spec.timeout,
        adaptive: spec.adaptive,
        duration_ms: spec.duration,
        seed: spec.seed,
        runtime: spec.runtime,
        detections,
        false_suspicions,
        suspicions_after_gst: after_gst,
        heartbeats: watches.iter().map(|w| w.heartbeats).sum(),
        messages: watches.iter().map(|w| w.messages).sum(),
        max_timeout_ms: watches.iter().map(|w| w.max_timeout).max().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DetectSpec {
        DetectSpec {
            method: Method::Heartbeat,
            n: 5,
            crashes: vec![(2, 1000)],
            interval: 50,
            timeout: 100,
            adaptive: false,
            timing: TimingModel::Sync,
            delta: 10,
            gst: 0,
            duration: 3000,
            seed: 1,
            runtime: RuntimeKind::Direct,
        }
    }

    #[test]
    fn sync_detects_the_crash_and_nothing_else() {
        let r = detect(&spec()).unwrap();
        let d = &r.detections[0];
        // Last heartbeat from 2 sent at 950, heard at 960; suspected at the
        // first tick more than 100 ms later.
        assert_eq!(d.first_ms, Some(1100));
        assert_eq!(d.last_ms, Some(1100));
        assert_eq!(r.false_suspicions, 0);
        assert!(r.heartbeats > 0);
    }

    #[test]
    fn a_timeout_below_interval_plus_delta_suspects_live_nodes_until_adapted() {
        let short = DetectSpec { timeout: 30, ..spec() };
        let fixed = detect(&short).unwrap();
        assert!(fixed.false_suspicions > 20, "{}", fixed.false_suspicions);
        let adaptive = detect(&DetectSpec {
            adaptive: true,
            ..short
        })
        .unwrap();
        // One false suspicion per pair, then 60 ms > 50 + 10 - 1 suffices.
        assert!(adaptive.false_suspicions <= 20, "{}", adaptive.false_suspicions);
        assert_eq!(adaptive.detections[0].first_ms.map(|t| t > 1000), Some(true));
    }

    #[test]
    fn ping_detects_from_the_unanswered_request_at_twice_the_messages() {
        let hb = detect(&spec()).unwrap();
        let ping = detect(&DetectSpec {
            method: Method::Ping,
            ..spec()
        })
        .unwrap();
        // The request of t=1000 reaches node 2 after it crashed; unanswered
        // for more than 100 ms at the tick of 1150.
        assert_eq!(ping.detections[0].first_ms, Some(1150));
        assert_eq!(ping.method, Method::Ping);
        assert_eq!(ping.heartbeats, 0);
        // Requests and replies: about twice the heartbeats (node 2 stops
        // answering at 1000 ms).
        assert_eq!(hb.messages, hb.heartbeats);
        let ratio = ping.messages as f64 / hb.messages as f64;
        assert!((1.8..2.0).contains(&ratio), "{ratio}");
        // A 20 ms timeout is below a heartbeat's age at a check (up to 49
        // ms) but above a ping's round trip (20 ms at most): only the
        // heartbeat suspects live nodes.
        let short = |method| {
            detect(&DetectSpec {
                method,
                timeout: 20,
                ..spec()
            })
            .unwrap()
            .false_suspicions
        };
        assert!(short(Method::Heartbeat) > 100);
        assert_eq!(short(Method::Ping), 0);
    }

    #[test]
    fn runtimes_agree() {
        let partial = DetectSpec {
            method: Method::Ping,
            timing: TimingModel::Partial,
            gst: 1500,
            adaptive: true,
            ..spec()
        };
        let direct = detect(&partial).unwrap();
        let actix = detect(&DetectSpec {
            runtime: RuntimeKind::Actix,
            ..partial.clone()
        })
        .unwrap();
        assert_eq!(
            DetectReport {
                runtime: RuntimeKind::Direct,
                ..actix
            },
            direct
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(matches!(
            detect(&DetectSpec { n: 1, ..spec() }),
            Err(DetectError::Nodes(1))
        ));
        let bad = DetectSpec {
            crashes: vec![(9, 0)],
            ..spec()
        };
        assert!(detect(&bad).unwrap_err().to_string().contains("does not exist"));
        assert!(matches!(
            detect(&DetectSpec { interval: 0, ..spec() }),
            Err(DetectError::Zero("--interval"))
        ));
    }
}
