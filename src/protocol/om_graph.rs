//! Algorithm OM(m, p): oral messages over a p-regular graph (section 5,
//! "Missing communication paths").
//!
//! The paper's definition, for positive m and p and a p-regular graph G
//! (Definition 1, see [`crate::graph`]):
//!
//! 0. Choose a regular set N of neighbours of the commander consisting of
//!    p lieutenants.
//! 1. The commander sends his value to every lieutenant in N.
//! 2. For each i in N, let v_i be the value lieutenant i receives from the
//!    commander, or else RETREAT if he receives no value. Lieutenant i sends
//!    v_i to every other lieutenant k as follows:
//!    (A) if m = 1, by sending the value along the path γ(i,k) whose
//!    existence is guaranteed by part (a)(ii) of Definition 1;
//!    (B) if m > 1, by acting as the commander in OM(m-1, p-1), with the
//!    graph of generals obtained by removing the original commander from G.
//! 3. For each k, and each i in N with i ≠ k, let v_i be the value lieutenant
//!    k received from lieutenant i in step 2, or RETREAT if he received no
//!    value. Lieutenant k uses the value majority(v_i1, ..., v_ip), where
//!    N = {i1, ..., ip} (for k in N, v_k is what k received in step 1).
//!
//! Theorem 3: for any m > 0 and any p >= 3m, OM(m, p) solves the Byzantine
//! Generals Problem if there are at most m traitors.
//!
//! How byzlab runs it. Everything the generals agree on in advance (the
//! regular sets at every level of the recursion and the paths of step 2(A))
//! is computed once, deterministically, into a [`Schedule`]: a *chain*
//! (c, i1, ..., ij) names the instance of OM(m-j, p-j) whose commander is ij,
//! run on G without c, ..., i(j-1). Rounds 1..m carry the direct sends of
//! steps 1 and 2(B), one level of the recursion a round; then step 2(A)'s
//! paths take one hop a round, so a run has m + L rounds (L the longest
//! path). Every general on a path relays what it got; a traitor there may
//! change or withhold it, which is what makes missing paths matter. A frame
//! is a [`Relays`]: the values of the (round, sender, receiver)'s slots in
//! the schedule's order, so nothing but values travels and a traitor cannot
//! add a slot the schedule does not have. OM(0, p) sends the commander's
//! value along shortest paths.
//!
//! On the complete graph, with p = n - 1 and direct edges as paths, OM(m, p)
//! is OM(m) (tests/it/graphs.rs checks it run for run); byzlab runs the
//! complete graph with [`super::om`].

use super::majority::majority;
use super::om::{OmReject, Relays};
use super::{Describer, Dispatch, Protocol, Taken, TraceMsg};
use crate::graph::{Graph, GraphError};
use crate::types::{COMMANDER, GeneralId, Round, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Most (chain, destination) paths a schedule may hold: the recursion of
/// OM(m, p) has p(p-1)...(p-m+1) leaves, each sending to every general.
pub const MAX_ROUTES: u64 = 500_000;

/// Most work (max-flow computations times their size, n^2 p each) a
/// schedule may take to build: a few seconds.
const MAX_WORK: u64 = 500_000_000;

/// p(p-1)...(p-d+1), saturating.
fn falling(p: usize, d: usize) -> u64 {
    (0..d).fold(1u64, |acc, i| acc.saturating_mul(p.saturating_sub(i) as u64))
}

/// One instance of the recursion: commander `nodes.last()`, run on the
/// graph without the earlier nodes.
#[derive(Clone, Debug)]
struct Chain {
    nodes: Vec<GeneralId>,
    /// The instance it is part of (the root is its own parent).
    parent: usize,
    /// Its regular set's chains (one per member, in id order), empty at
    /// the last level (depth m).
    children: Vec<usize>,
}

/// What travels in one slot of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// Steps 1 and 2(B): the sender's value for the chain's parent goes to
    /// the chain's last node.
    Direct(usize),
    /// Step 2(A): one hop of a route.
    Hop(usize),
}

/// A path of step 2(A): leaf chain's last node to `path.last()`.
#[derive(Clone, Debug)]
struct Route {
    leaf: usize,
    path: Vec<GeneralId>,
}

/// Everything OM(m, p) fixes in advance on a graph.
#[derive(Debug)]
pub struct Schedule {
    n: usize,
    m: usize,
    p: usize,
    chains: Vec<Chain>,
    routes: Vec<Route>,
    /// (leaf, destination) -> route.
    route_of: HashMap<(usize, GeneralId), usize>,
    /// (round, sender, receiver) -> slots, in order.
    slots: BTreeMap<(Round, GeneralId, GeneralId), Vec<Slot>>,
    rounds: Round,
    /// Where the schedule falls short of Definition 1 (run under --force).
    gaps: Vec<String>,
}

impl Schedule {
    /// The schedule of OM(m, p) on `graph`, commander 0. Where a regular set
    /// of the size the recursion needs, or a path, does not exist, the
    /// largest regular set and the paths that exist are used and the gap is
    /// recorded ([`Schedule::gaps`]).
    pub fn build(graph: &Graph, m: usize, p: usize) -> Result<Schedule, GraphError> {
        let n = graph.n();
        // Refuse before building what would not fit: the recursion's
        // instances each check a regular set (n flows), the last level's
        // parents each find a fan into every general (n flows), and every
        // leaf sends to every general.
        let instances: u64 = (0..m).map(|d| falling(p, d)).fold(0, u64::saturating_add);
        let flows = instances
            .saturating_add(falling(p, m.saturating_sub(1)))
            .saturating_mul(n as u64);
        let work = flows.saturating_mul((n * n * p.max(1)) as u64);
        let routes = falling(p, m).saturating_mul(n as u64);
        if work > MAX_WORK || routes > MAX_ROUTES {
            return Err(GraphError::Spec(format!(
                "OM({m}, {p}) on {} with n = {n} is too big to plan: {routes} relay paths and about {flows} path \
                 searches (at most {MAX_ROUTES} paths, and searches costing {MAX_WORK} steps); use fewer generals, \
                 a smaller m or a sparser graph",
                graph.label()
            )));
        }
        let mut s = Schedule {
            n,
            m,
            p,
            chains: vec![Chain {
                nodes: vec![COMMANDER],
                parent: 0,
                children: Vec::new(),
            }],
            routes: Vec::new(),
            route_of: HashMap::new(),
            slots: BTreeMap::new(),
            rounds: m as Round + 1,
            gaps: Vec::new(),
        };
        // Steps 0 and 2(B), level by level: chain c's regular set of
        // p - depth in G without c's earlier nodes.
        let mut level = vec![0usize];
        for depth in 0..m {
            let mut next = Vec::new();
            for &c in &level {
                let nodes = s.chains[c].nodes.clone();
                let (&x, removed) = nodes.split_last().unwrap_or((&COMMANDER, &[]));
                let want = p.saturating_sub(depth);
                let set = s.regular_set(graph, x, want, removed);
                for j in set {
                    let mut child = nodes.clone();
                    child.push(j);
                    s.chains.push(Chain {
                        nodes: child,
                        parent: c,
                        children: Vec::new(),
                    });
                    let id = s.chains.len() - 1;
                    s.chains[c].children.push(id);
                    // Round depth+1: x sends j its value for chain c.
                    s.slots
                        .entry((depth as Round + 1, x, j))
                        .or_default()
                        .push(Slot::Direct(id));
                    next.push(id);
                }
            }
            level = next;
        }
        // Step 2(A): each leaf's last node sends to every general outside
        // the leaf along the fan of Definition 1 (OM(0, p): the commander
        // along shortest paths). One fan per (parent instance, k) serves
        // every member of its regular set.
        let mut fans: HashMap<(usize, GeneralId), Vec<Option<Vec<GeneralId>>>> = HashMap::new();
        for &leaf in &level {
            let nodes = s.chains[leaf].nodes.clone();
            let targets: Vec<GeneralId> = (1..n as GeneralId).filter(|k| !nodes.contains(k)).collect();
            for k in targets {
                let path = if m == 0 {
                    graph.shortest_path(COMMANDER, k, &[])
                } else {
                    let parent = s.chains[leaf].parent;
                    let at = s.chains[parent].children.iter().position(|&c| c == leaf);
                    let fan = fans.entry((parent, k)).or_insert_with(|| {
                        let members: Vec<GeneralId> = s.chains[parent]
                            .children
                            .iter()
                            .map(|&c| s.chains[c].nodes[nodes.len() - 1])
                            .collect();
                        graph.fan(&members, k, &s.chains[parent].nodes)
                    });
                    at.and_then(|i| fan.get(i).cloned().flatten())
                };
                let Some(path) = path else {
                    s.gaps.push(format!(
                        "no path from {} to {k} for chain {}",
                        nodes[nodes.len() - 1],
                        chain_label(&nodes)
                    ));
                    continue;
                };
                let id = s.routes.len();
                for (h, hop) in path.windows(2).enumerate() {
                    let round = (m + 1 + h) as Round;
                    s.rounds = s.rounds.max(round);
                    s.slots.entry((round, hop[0], hop[1])).or_default().push(Slot::Hop(id));
                }
                s.route_of.insert((leaf, k), id);
                s.routes.push(Route { leaf, path });
            }
        }
        Ok(s)
    }

    /// The regular set of `want` neighbours of x on the graph without
    /// `removed`, or the largest that exists (a gap).
    fn regular_set(&mut self, graph: &Graph, x: GeneralId, want: usize, removed: &[GeneralId]) -> Vec<GeneralId> {
        if let Some(set) = graph.regular_set(x, want, removed) {
            return set;
        }
        let (got, set) = (1..want)
            .rev()
            .find_map(|q| graph.regular_set(x, q, removed).map(|s| (q, s)))
            .unwrap_or((0, Vec::new()));
        let mut chain = removed.to_vec();
        chain.push(x);
        self.gaps.push(format!(
            "general {x} (chain {}) has a regular set of {got} neighbours, not {want}",
            chain_label(&chain)
        ));
        set
    }

    /// Rounds a run takes: m direct rounds, then the longest path.
    pub fn rounds(&self) -> Round {
        self.rounds
    }

    /// The p of OM(m, p).
    pub fn p(&self) -> usize {
        self.p
    }

    /// Where the graph falls short of what OM(m, p) needs: empty when every
    /// regular set and path exists.
    pub fn gaps(&self) -> &[String] {
        &self.gaps
    }

    /// Values sent over the whole run by honest generals.
    pub fn message_count(&self) -> u64 {
        self.slots.values().map(|v| v.len() as u64).sum()
    }

    /// Largest frame, in values.
    pub fn max_frame_values(&self) -> usize {
        self.slots.values().map(Vec::len).max().unwrap_or(1)
    }

    fn slots(&self, round: Round, from: GeneralId, to: GeneralId) -> &[Slot] {
        self.slots.get(&(round, from, to)).map_or(&[], Vec::as_slice)
    }

    /// The path a slot's value stands for, and who it is meant for: the
    /// chain's parent ending at the sender (direct), or the leaf chain
    /// ending at the path's origin and the path's end (a hop).
    fn meaning(&self, slot: Slot) -> (&[GeneralId], GeneralId) {
        match slot {
            Slot::Direct(c) => {
                let nodes = &self.chains[c].nodes;
                (&nodes[..nodes.len() - 1], nodes[nodes.len() - 1])
            }
            Slot::Hop(r) => {
                let route = &self.routes[r];
                let dest = route.path[route.path.len() - 1];
                (&self.chains[route.leaf].nodes, dest)
            }
        }
    }

    /// For a traitor's strategy: every slot `me` sends `to` in `round`, as
    /// (path, the general it is meant for), in frame order.
    pub fn meanings(&self, round: Round, me: GeneralId, to: GeneralId) -> Vec<(&[GeneralId], GeneralId)> {
        self.slots(round, me, to).iter().map(|&s| self.meaning(s)).collect()
    }
}

fn chain_label(nodes: &[GeneralId]) -> String {
    nodes.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(":")
}

/// One general running OM(m, p).
#[derive(Debug)]
pub struct OmGraphGeneral {
    schedule: Arc<Schedule>,
    me: GeneralId,
    order: Value,
    /// Per chain ending in me: the value received directly for it (None:
    /// lost in a crash; absent reads as RETREAT, A3).
    held: Vec<Option<Value>>,
    /// Per route: the value this general holds for it (received on the
    /// way, or, at the route's end, delivered).
    carried: Vec<Option<Value>>,
    /// Which (round, sender) frames arrived, to refuse duplicates.
    seen: Vec<bool>,
}

impl OmGraphGeneral {
    /// General `me`; `order` matters only for the commander.
    pub fn new(schedule: Arc<Schedule>, me: GeneralId, order: Value) -> OmGraphGeneral {
        let (chains, routes) = (schedule.chains.len(), schedule.routes.len());
        let seen = vec![false; (schedule.rounds as usize + 1) * schedule.n];
        OmGraphGeneral {
            schedule,
            me,
            order,
            held: vec![Some(Value::Retreat); chains],
            carried: vec![None; routes],
            seen,
        }
    }

    /// The schedule every general of the run shares.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// What this general sends in a slot.
    fn value_for(&self, slot: Slot) -> Option<Value> {
        let s = &self.schedule;
        match slot {
            Slot::Direct(c) => {
                let nodes = &s.chains[c].nodes;
                if nodes.len() == 2 && self.me == COMMANDER {
                    return Some(self.order); // step 1
                }
                self.held[s.chains[c].parent] // step 2: v_i, RETREAT if none came
            }
            Slot::Hop(r) => {
                let route = &s.routes[r];
                if route.path[0] == self.me {
                    if s.m == 0 {
                        return Some(self.order);
                    }
                    self.held[route.leaf] // step 2(A): v_i along γ(i,k)
                } else {
                    self.carried[r]
                }
            }
        }
    }

    /// Step 3 at chain c (commander x = its last node) for this general:
    /// majority over c's regular set of what it got from each member.
    fn resolve(&self, c: usize) -> Value {
        let s = &self.schedule;
        let chain = &s.chains[c];
        let depth = chain.nodes.len() - 1;
        let values = chain.children.iter().map(|&child| {
            let j = s.chains[child].nodes[depth + 1];
            if j == self.me {
                // v_k for k in N: what k received from the commander.
                self.held[child].unwrap_or(Value::Retreat)
            } else if depth + 1 == s.m {
                // The last level: v_j as it arrived along γ(j, k).
                s.route_of
                    .get(&(child, self.me))
                    .and_then(|&r| self.carried[r])
                    .unwrap_or(Value::Retreat)
            } else {
                self.resolve(child)
            }
        });
        majority(values)
    }
}

impl Protocol for OmGraphGeneral {
    type Msg = Relays;
    type Reject = OmReject;

    fn id(&self) -> GeneralId {
        self.me
    }

    fn rounds(&self) -> Round {
        self.schedule.rounds
    }

    fn recipients(&self, round: Round) -> Vec<GeneralId> {
        self.schedule
            .slots
            .range((round, self.me, 0)..=(round, self.me, GeneralId::MAX))
            .map(|((_, _, to), _)| *to)
            .collect()
    }

    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Relays>> {
        let s = self.schedule.clone();
        s.slots
            .range((round, self.me, 0)..=(round, self.me, GeneralId::MAX))
            .map(|((_, _, to), slots)| {
                let mut msg = Relays::filled(slots.len(), None);
                for (i, &slot) in slots.iter().enumerate() {
                    msg.set(i, self.value_for(slot));
                }
                Dispatch {
                    to: *to,
                    msg: Arc::new(msg),
                }
            })
            .collect()
    }

    /// Stores a frame; refused whole if the schedule has nothing from
    /// `from` to this general in `round`, or a frame of another length.
    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Relays) -> Result<Taken, OmReject> {
        if self.me == COMMANDER {
            return Err(OmReject::ToCommander);
        }
        if round == 0 || round > self.schedule.rounds {
            return Err(OmReject::BadRound(round));
        }
        let s = self.schedule.clone();
        let slots = s.slots(round, from, self.me);
        if slots.is_empty() {
            return Err(OmReject::BadSender(from));
        }
        if msg.len() != slots.len() {
            return Err(OmReject::BadLength {
                got: msg.len(),
                want: slots.len() as u64,
            });
        }
        let seen = round as usize * s.n + usize::from(from);
        if self.seen[seen] {
            return Err(OmReject::Duplicate(from));
        }
        self.seen[seen] = true;
        for (i, &slot) in slots.iter().enumerate() {
            let v = msg.get(i);
            match slot {
                // A3: a withheld value is absent, and absent reads as RETREAT.
                Slot::Direct(c) => self.held[c] = Some(v.unwrap_or(Value::Retreat)),
                Slot::Hop(r) => self.carried[r] = v,
            }
        }
        Ok(Taken::All)
    }

    fn decide(&self) -> Value {
        if self.me == COMMANDER {
            return self.order;
        }
        if self.schedule.m == 0 {
            return self
                .schedule
                .route_of
                .get(&(0, self.me))
                .and_then(|&r| self.carried[r])
                .unwrap_or(Value::Retreat);
        }
        self.resolve(0)
    }

    fn describer(&self) -> Describer<Relays> {
        let schedule = self.schedule.clone();
        Arc::new(move |round, from, to, msg: &Relays| {
            schedule
                .meanings(round, from, to)
                .into_iter()
                .enumerate()
                .filter_map(|(i, (path, _))| {
                    msg.get(i).map(|value| TraceMsg {
                        path: path.to_vec(),
                        value,
                    })
                })
                .collect()
        })
    }

    /// What it had received is gone: relayed as withheld, decided as RETREAT.
    fn reset(&mut self) {
        self.held.fill(None);
        self.carried.fill(None);
        self.seen.fill(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphSpec;

    fn schedule(spec: &str, n: usize, m: usize, p: usize) -> Arc<Schedule> {
        let g = GraphSpec::parse(spec, None).unwrap().build(n).unwrap();
        Arc::new(Schedule::build(&g, m, p).unwrap())
    }

    /// Runs every general honestly, round by round, and returns decisions.
    fn run(s: &Arc<Schedule>, order: Value, liars: &[GeneralId]) -> Vec<Value> {
        let mut gs: Vec<OmGraphGeneral> = (0..s.n as GeneralId)
            .map(|g| OmGraphGeneral::new(s.clone(), g, order))
            .collect();
        for round in 1..=s.rounds() {
            let mut frames = Vec::new();
            for g in &mut gs {
                for d in g.on_round(round) {
                    let mut msg = (*d.msg).clone();
                    if liars.contains(&g.me) {
                        for i in 0..msg.len() {
                            msg.set(i, msg.get(i).map(Value::flip));
                        }
                    }
                    frames.push((g.me, d.to, msg));
                }
            }
            for (from, to, msg) in frames {
                let _ = gs[usize::from(to)].on_message(round, from, &msg).unwrap();
            }
        }
        gs.iter().map(|g| g.decide()).collect()
    }

    /// Section 5's own count: on the complete graph OM(m, n-1) sends what
    /// OM(m) sends, in m + 1 rounds.
    #[test]
    fn on_the_complete_graph_it_is_om() {
        let s = schedule("complete", 7, 2, 6);
        assert!(s.gaps().is_empty());
        assert_eq!(s.rounds(), 3);
        assert_eq!(s.message_count(), super::super::om::message_count(7, 2));
    }

    /// Theorem 3 by hand: OM(1, 3) on a 3-regular graph of 8 nodes keeps IC1
    /// and IC2 with any one lying lieutenant (p >= 3m).
    #[test]
    fn theorem_3_one_liar_on_a_3_regular_graph() {
        let s = schedule("regular:3", 8, 1, 3);
        assert!(s.gaps().is_empty(), "{:?}", s.gaps());
        assert!(s.rounds() > 2, "paths of more than one hop");
        for liar in 1..8 {
            let d = run(&s, Value::Attack, &[liar]);
            for (g, v) in d.iter().enumerate() {
                if g as GeneralId != liar {
                    assert_eq!(*v, Value::Attack, "liar {liar}: general {g}");
                }
            }
        }
    }

    /// A ring is only 2-regular: OM(1, 2) with one lying neighbour of the
    /// commander ties 1 - 1 and falls back to RETREAT (p < 3m).
    #[test]
    fn a_ring_is_too_thin_for_one_traitor() {
        let s = schedule("ring", 6, 1, 2);
        let d = run(&s, Value::Attack, &[1]);
        assert!(d[2..].iter().all(|&v| v == Value::Retreat), "{d:?}");
    }

    #[test]
    fn frames_off_the_schedule_are_refused() {
        let s = schedule("ring", 6, 1, 2);
        let mut g = OmGraphGeneral::new(s.clone(), 3, Value::Attack);
        let e = g.on_message(1, 0, &Relays::filled(1, Some(Value::Attack))).unwrap_err();
        assert!(matches!(e, OmReject::BadSender(0)), "0 and 3 are not neighbours");
        // Round 3: lieutenant 1's paths to 3, 4 and 5 (around the ring, away
        // from the commander) take their second hop from 2 to 3.
        let want = s.meanings(3, 2, 3).len();
        assert_eq!(want, 3);
        let ok = g.on_message(3, 2, &Relays::filled(want, Some(Value::Attack)));
        assert!(ok.is_ok(), "{ok:?}");
        let e = g
            .on_message(3, 2, &Relays::filled(want, Some(Value::Attack)))
            .unwrap_err();
        assert!(matches!(e, OmReject::Duplicate(2)));
        let e = g
            .on_message(3, 4, &Relays::filled(want + 3, Some(Value::Attack)))
            .unwrap_err();
        assert!(matches!(e, OmReject::BadLength { .. }), "{e:?}");
    }
}
