//! Communication graphs: section 5 of the paper, "Missing communication
//! paths". Generals are the nodes of a finite simple undirected graph and a
//! general can send directly only to its neighbours; a message to anyone
//! else must be relayed by others, who may be traitors.
//!
//! This module holds the graphs (`complete`, `ring`, `regular:P`, or an edge
//! list in a TOML file) and the graph theory the paper's section 5 relies on:
//!
//! * **Definition 1** (regular set of neighbours): a set {i1, ..., ip} of
//!   neighbours of node i such that for every node k other than i there are
//!   paths γ(j,k) from each ij to k not passing through i, no two of which
//!   have a node in common other than k. A graph is **p-regular** when every
//!   node has a regular set of p distinct neighbours ([`Graph::regular_set`],
//!   [`Graph::regularity`]). The paths are a "fan" into k, found here as
//!   vertex-disjoint paths by unit-capacity max flow ([`Graph::fan`]).
//! * **Connectivity** (vertex connectivity κ): Dolev's bound, quoted in
//!   section 5, is that no algorithm copes with m traitors unless κ > 2m
//!   ([`Graph::connectivity`]).
//! * **Diameter** of the subgraph of loyal generals (Theorem 4, SM on
//!   incomplete graphs; [`Graph::diameter_within`]).
//!
//! Everything here is deterministic: every search visits nodes in id order.

use crate::types::GeneralId;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// Most generals a graph other than the complete one may have: the path and
/// regular-set searches are polynomial, but the recursion of OM(m, p) visits
/// every chain of commanders.
pub const MAX_GRAPH_NODES: usize = 64;

/// Most subsets of a node's neighbours tried when looking for a regular set
/// of a given size.
const MAX_SUBSETS: u64 = 1_000;

/// A communication graph as asked for: its name, or its edges.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GraphSpec {
    /// Every general is every other's neighbour (sections 3 and 4).
    #[default]
    Complete,
    /// A cycle 0 - 1 - ... - (n-1) - 0: 2-regular, connectivity 2.
    Ring,
    /// The circulant graph of degree P on n nodes (Harary's construction:
    /// node i joined to i ± 1, ..., i ± P/2, and for odd P to i + n/2),
    /// checked to be P-regular in the sense of Definition 1.
    Regular {
        /// P.
        p: usize,
    },
    /// An edge list (from a TOML file: `edges = [[0, 1], [1, 2], ...]`),
    /// kept whole so that a witness replays without the file.
    Edges {
        /// The file's stem, for labels.
        name: String,
        /// Edges, each as given.
        edges: Vec<(GeneralId, GeneralId)>,
    },
}

impl GraphSpec {
    /// `complete`, `ring`, `regular:6`, `file:NAME`.
    pub fn label(&self) -> String {
        match self {
            GraphSpec::Complete => "complete".into(),
            GraphSpec::Ring => "ring".into(),
            GraphSpec::Regular { p } => format!("regular:{p}"),
            GraphSpec::Edges { name, .. } => format!("file:{name}"),
        }
    }

    /// Whether this is the complete graph (the paper's sections 3 and 4).
    pub fn is_complete(&self) -> bool {
        *self == GraphSpec::Complete
    }

    /// Parses `complete`, `ring`, `regular:P` or a path to a `.toml` edge
    /// list (read relative to `base`, then as given).
    pub fn parse(text: &str, base: Option<&std::path::Path>) -> Result<GraphSpec, GraphError> {
        match text {
            "complete" => return Ok(GraphSpec::Complete),
            "ring" => return Ok(GraphSpec::Ring),
            _ => {}
        }
        if let Some(p) = text.strip_prefix("regular:") {
            return match p.parse::<usize>() {
                Ok(p) if p >= 1 => Ok(GraphSpec::Regular { p }),
                _ => Err(GraphError::Spec(format!(
                    "`{text}`: P in regular:P must be a whole number >= 1"
                ))),
            };
        }
        if text.ends_with(".toml") {
            let given = std::path::Path::new(text);
            let path = base
                .map(|b| b.join(given))
                .filter(|p| p.exists())
                .unwrap_or_else(|| given.to_path_buf());
            let body = crate::files::read_limited(&path)
                .map_err(|e| GraphError::Spec(format!("cannot read graph file {}: {e}", path.display())))?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "graph".into());
            return Self::parse_edges(&body, &name, &path.display().to_string());
        }
        Err(GraphError::Spec(format!(
            "`{text}` is not a graph: give complete, ring, regular:P or a .toml edge list"
        )))
    }

    /// Parses the text of an edge-list file; `source` names it in errors.
    pub fn parse_edges(body: &str, name: &str, source: &str) -> Result<GraphSpec, GraphError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            edges: Vec<Vec<u64>>,
        }
        let file: File = toml::from_str(body).map_err(|e| {
            GraphError::Spec(format!(
                "{source}: not a graph file (want `edges = [[0, 1], [1, 2], ...]`): {}",
                crate::files::plain_parse_error(&e.to_string())
            ))
        })?;
        let mut edges = Vec::with_capacity(file.edges.len());
        for edge in file.edges {
            // An edge joins two generals: `[0, 1, 2]` is not an edge.
            let &[a, b] = &edge[..] else {
                return Err(GraphError::Spec(format!(
                    "{source}: an edge joins two generals, as [0, 1]; {edge:?} has {}",
                    edge.len()
                )));
            };
            let too_big = |x: u64| x as usize >= MAX_GRAPH_NODES;
            if too_big(a) || too_big(b) {
                return Err(GraphError::Spec(format!(
                    "{source}: edge [{a}, {b}] names a general beyond {} (graphs have at most {MAX_GRAPH_NODES} nodes)",
                    MAX_GRAPH_NODES - 1
                )));
            }
            if a == b {
                return Err(GraphError::Spec(format!("{source}: edge [{a}, {b}] is a loop")));
            }
            edges.push((a as GeneralId, b as GeneralId));
        }
        Ok(GraphSpec::Edges {
            name: name.to_string(),
            edges,
        })
    }

    /// The graph on `n` generals.
    pub fn build(&self, n: usize) -> Result<Graph, GraphError> {
        if !self.is_complete() && n > MAX_GRAPH_NODES {
            return Err(GraphError::Spec(format!(
                "{}: graphs other than the complete one have at most {MAX_GRAPH_NODES} generals, got n = {n}",
                self.label()
            )));
        }
        let mut g = Graph::empty(n, self.label());
        match self {
            GraphSpec::Complete => {
                for a in 0..n {
                    for b in a + 1..n {
                        g.join(a, b);
                    }
                }
            }
            GraphSpec::Ring => {
                if n < 3 {
                    return Err(GraphError::Spec(format!("ring: needs n >= 3, got n = {n}")));
                }
                for a in 0..n {
                    g.join(a, (a + 1) % n);
                }
            }
            GraphSpec::Regular { p } => {
                let p = *p;
                // A spec read from a witness or plan.json was not parsed:
                // checked here, where every run's graph is built.
                if p == 0 {
                    return Err(GraphError::Spec(
                        "regular:0: P in regular:P must be a whole number >= 1".into(),
                    ));
                }
                if p >= n {
                    return Err(GraphError::Spec(format!(
                        "regular:{p}: a node of n = {n} generals has at most {} neighbours",
                        n - 1
                    )));
                }
                if p % 2 == 1 && n % 2 == 1 {
                    return Err(GraphError::Spec(format!(
                        "regular:{p}: no graph on an odd number of nodes (n = {n}) has every degree odd"
                    )));
                }
                for a in 0..n {
                    for d in 1..=p / 2 {
                        g.join(a, (a + d) % n);
                    }
                    if p % 2 == 1 {
                        g.join(a, (a + n / 2) % n);
                    }
                }
                let got = g.regularity();
                if got < p {
                    return Err(GraphError::Spec(format!(
                        "regular:{p}: the circulant graph on {n} nodes is only {got}-regular in the sense of \
                         Definition 1; give the graph as an edge list"
                    )));
                }
            }
            GraphSpec::Edges { name, edges } => {
                for &(a, b) in edges {
                    if a == b {
                        return Err(GraphError::Spec(format!("file:{name}: edge [{a}, {b}] is a loop")));
                    }
                    if usize::from(a) >= n || usize::from(b) >= n {
                        return Err(GraphError::Spec(format!(
                            "file:{name}: edge [{a}, {b}] names a general beyond n - 1 = {}",
                            n - 1
                        )));
                    }
                    g.join(a.into(), b.into());
                }
            }
        }
        Ok(g)
    }
}

impl fmt::Display for GraphSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// A graph that cannot be built or does not fit the algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The graph as asked for is not one.
    #[error("{0}")]
    Spec(String),
    /// The algorithm's precondition does not hold on this graph.
    #[error("{0} (--force runs it anyway)")]
    Precondition(String),
}

/// An undirected simple graph on generals 0..n.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    n: usize,
    label: String,
    adj: Vec<Vec<bool>>,
    /// Each node's neighbours as a bit mask (graphs of at most 64 nodes).
    masks: Vec<u64>,
}

/// A node set as a membership vector.
type Set = Vec<bool>;

impl Graph {
    fn empty(n: usize, label: String) -> Graph {
        Graph {
            n,
            label,
            adj: vec![vec![false; n]; n],
            masks: vec![0; if n <= 64 { n } else { 0 }],
        }
    }

    fn join(&mut self, a: usize, b: usize) {
        if a != b {
            self.adj[a][b] = true;
            self.adj[b][a] = true;
            if let (Some(_), Some(_)) = (self.masks.get(a), self.masks.get(b)) {
                self.masks[a] |= 1 << b;
                self.masks[b] |= 1 << a;
            }
        }
    }

    /// Nodes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `complete`, `ring`, `regular:6`, `file:NAME`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether a and b are neighbours.
    pub fn adjacent(&self, a: GeneralId, b: GeneralId) -> bool {
        self.adj
            .get(usize::from(a))
            .and_then(|row| row.get(usize::from(b)))
            .copied()
            .unwrap_or(false)
    }

    /// Neighbours of `a` outside `removed`, ascending.
    pub fn neighbours(&self, a: GeneralId, removed: &[GeneralId]) -> Vec<GeneralId> {
        (0..self.n as GeneralId)
            .filter(|&b| self.adjacent(a, b) && !removed.contains(&b))
            .collect()
    }

    /// Whether every pair of nodes is joined.
    pub fn is_complete(&self) -> bool {
        (0..self.n).all(|a| (0..self.n).all(|b| a == b || self.adj[a][b]))
    }

    fn mask(&self, nodes: &[GeneralId]) -> Set {
        let mut s = vec![false; self.n];
        for &g in nodes {
            if let Some(x) = s.get_mut(usize::from(g)) {
                *x = true;
            }
        }
        s
    }

    /// Shortest path from `from` to `to` avoiding `removed` (ends included),
    /// by breadth-first search, lowest ids first; `None` if there is none.
    pub fn shortest_path(&self, from: GeneralId, to: GeneralId, removed: &[GeneralId]) -> Option<Vec<GeneralId>> {
        let blocked = self.mask(removed);
        let (s, t) = (usize::from(from), usize::from(to));
        let mut prev = vec![usize::MAX; self.n];
        prev[s] = s;
        let mut queue = VecDeque::from([s]);
        while let Some(u) = queue.pop_front() {
            if u == t {
                let mut path = vec![t as GeneralId];
                let mut x = t;
                while x != s {
                    x = prev[x];
                    path.push(x as GeneralId);
                }
                path.reverse();
                return Some(path);
            }
            for v in 0..self.n {
                if self.adj[u][v] && !blocked[v] && prev[v] == usize::MAX {
                    prev[v] = u;
                    queue.push_back(v);
                }
            }
        }
        None
    }

    /// Hop distances from `from` within the nodes of `within`.
    fn distances(&self, from: usize, within: &Set) -> Vec<Option<usize>> {
        let mut dist = vec![None; self.n];
        dist[from] = Some(0);
        let mut queue = VecDeque::from([from]);
        while let Some(u) = queue.pop_front() {
            let d = dist[u].unwrap_or(0);
            for v in 0..self.n {
                if self.adj[u][v] && within[v] && dist[v].is_none() {
                    dist[v] = Some(d + 1);
                    queue.push_back(v);
                }
            }
        }
        dist
    }

    /// Diameter of the subgraph induced by `nodes` (Theorem 4's d for the
    /// loyal generals); `None` when it is disconnected. One node: 0.
    pub fn diameter_within(&self, nodes: &[GeneralId]) -> Option<usize> {
        if self.n <= 64 && !self.masks.is_empty() {
            return self.diameter_by_masks(nodes);
        }
        self.diameter_by_matrix(nodes)
    }

    fn diameter_by_matrix(&self, nodes: &[GeneralId]) -> Option<usize> {
        let within = self.mask(nodes);
        let mut d = 0;
        for &a in nodes {
            let dist = self.distances(usize::from(a), &within);
            for &b in nodes {
                d = d.max(dist[usize::from(b)]?);
            }
        }
        Some(d)
    }

    /// [`Graph::diameter_within`] by breadth-first search on bit masks: a
    /// sweep asks it for every traitor placement of a cell.
    fn diameter_by_masks(&self, nodes: &[GeneralId]) -> Option<usize> {
        let within = nodes.iter().fold(0u64, |m, &g| m | 1u64 << g);
        let mut d = 0;
        for &a in nodes {
            let (mut seen, mut frontier, mut depth) = (1u64 << a, 1u64 << a, 0);
            while seen != within {
                let mut next = 0u64;
                let mut f = frontier;
                while f != 0 {
                    let v = f.trailing_zeros() as usize;
                    next |= self.masks[v];
                    f &= f - 1;
                }
                next &= within & !seen;
                if next == 0 {
                    return None;
                }
                seen |= next;
                frontier = next;
                depth += 1;
            }
            d = d.max(depth);
        }
        Some(d)
    }

    /// Whether the graph is connected.
    pub fn is_connected(&self) -> bool {
        let all: Vec<GeneralId> = (0..self.n as GeneralId).collect();
        self.diameter_within(&all).is_some()
    }

    /// The fan of Definition 1: paths from each of `sources` to `k` in the
    /// graph without `removed`, no two sharing a node but k (a source equal
    /// to k is the one-node path [k]). Returns, for each source in order,
    /// its path (source first, k last) or `None` where fewer than all
    /// sources can be joined this way (then the largest such set is used,
    /// sources earlier in the list first).
    pub fn fan(&self, sources: &[GeneralId], k: GeneralId, removed: &[GeneralId]) -> Vec<Option<Vec<GeneralId>>> {
        Fan::new(self, removed).paths(sources, k)
    }

    /// Whether `set` is a regular set of neighbours of `i` (Definition 1)
    /// in the graph without `removed`: each is a neighbour, and every other
    /// node k has a complete fan from the set.
    pub fn is_regular_set(&self, i: GeneralId, set: &[GeneralId], removed: &[GeneralId]) -> bool {
        if set
            .iter()
            .any(|&j| !self.adjacent(i, j) || removed.contains(&j) || j == i)
        {
            return false;
        }
        let mut without: Vec<GeneralId> = removed.to_vec();
        without.push(i);
        let fan = Fan::new(self, &without);
        (0..self.n as GeneralId)
            .filter(|k| *k != i && !removed.contains(k))
            .all(|k| fan.count(set, k) == set.len())
    }

    /// The first regular set of `p` neighbours of `i` (Definition 1) in the
    /// graph without `removed`, subsets tried in lexicographic order of ids;
    /// `None` if there is none (or none among the first subsets tried).
    pub fn regular_set(&self, i: GeneralId, p: usize, removed: &[GeneralId]) -> Option<Vec<GeneralId>> {
        let nb = self.neighbours(i, removed);
        if p > nb.len() {
            return None;
        }
        let mut idx: Vec<usize> = (0..p).collect();
        let mut tried = 0u64;
        loop {
            let set: Vec<GeneralId> = idx.iter().map(|&x| nb[x]).collect();
            if self.is_regular_set(i, &set, removed) {
                return Some(set);
            }
            tried += 1;
            if tried >= MAX_SUBSETS {
                return None;
            }
            // Next combination of p out of nb.len().
            let mut pos = p;
            loop {
                if pos == 0 {
                    return None;
                }
                pos -= 1;
                if idx[pos] < nb.len() - p + pos {
                    idx[pos] += 1;
                    for q in pos + 1..p {
                        idx[q] = idx[q - 1] + 1;
                    }
                    break;
                }
            }
        }
    }

    /// The largest p for which every node has a regular set of p neighbours
    /// (Definition 1(b)): the graph is p-regular for every p up to it.
    pub fn regularity(&self) -> usize {
        // A p-regular graph has connectivity at least p: a node's p paths to
        // any other (Definition 1) are disjoint but at their ends.
        let kappa = self.connectivity();
        (0..self.n as GeneralId)
            .map(|i| {
                let deg = self.neighbours(i, &[]).len().min(kappa);
                (1..=deg)
                    .rev()
                    .find(|&p| self.regular_set(i, p, &[]).is_some())
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
    }

    /// Vertex connectivity κ: the fewest nodes whose removal disconnects the
    /// graph (n - 1 for the complete graph), by Menger's theorem the least,
    /// over non-adjacent pairs, number of internally disjoint paths.
    pub fn connectivity(&self) -> usize {
        // Even's algorithm: a smallest cut S misses one of the first |S| + 1
        // nodes, a; some b is cut off from it. So only pairs (a, b) with a
        // among the first best + 1 nodes need a flow.
        let mut best = self.n.saturating_sub(1);
        for a in 0..self.n {
            if a > best {
                break;
            }
            for b in 0..self.n {
                if a != b && !self.adj[a][b] {
                    let fan = Fan::new(self, &[]);
                    best = best.min(fan.disjoint(a as GeneralId, b as GeneralId));
                }
            }
        }
        best
    }

    /// The sets of at most `size` nodes whose removal disconnects the rest
    /// (cuts), each ascending; used to place traitors "at a cut".
    pub fn cuts(&self, size: usize) -> Vec<Vec<GeneralId>> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        fn go(g: &Graph, start: usize, size: usize, cur: &mut Vec<GeneralId>, out: &mut Vec<Vec<GeneralId>>) {
            if !cur.is_empty() {
                let rest: Vec<GeneralId> = (0..g.n as GeneralId).filter(|x| !cur.contains(x)).collect();
                if rest.len() >= 2 && g.diameter_within(&rest).is_none() {
                    out.push(cur.clone());
                }
            }
            if cur.len() == size {
                return;
            }
            for x in start..g.n {
                cur.push(x as GeneralId);
                go(g, x + 1, size, cur, out);
                cur.pop();
            }
        }
        go(self, 0, size, &mut cur, &mut out);
        out
    }
}

/// Unit-capacity max flow with split nodes, for vertex-disjoint paths.
struct Fan<'a> {
    g: &'a Graph,
    blocked: Set,
}

impl<'a> Fan<'a> {
    fn new(g: &'a Graph, removed: &[GeneralId]) -> Fan<'a> {
        Fan {
            g,
            blocked: g.mask(removed),
        }
    }

    /// The unit arcs: each open node's in-half to its out-half, out-halves
    /// to the in-halves of open neighbours, the super source to each open
    /// source's in-half.
    fn arcs(&self, sources: &[usize]) -> Vec<Vec<i32>> {
        let n = self.g.n;
        let src = 2 * n;
        let mut capacity = vec![vec![0; src + 1]; src + 1];
        for v in 0..n {
            if self.blocked[v] {
                continue;
            }
            capacity[2 * v][2 * v + 1] = 1;
            for w in 0..n {
                if self.g.adj[v][w] && !self.blocked[w] {
                    capacity[2 * v + 1][2 * w] = 1;
                }
            }
        }
        for &s in sources {
            if !self.blocked[s] {
                capacity[src][2 * s] = 1;
            }
        }
        capacity
    }

    /// Node v's "in" half is 2v, its "out" half 2v+1; the super source is
    /// 2n. Returns the flow on every arc after pushing as many unit paths
    /// as possible from the sources into `sink`'s in-half (the sink has no
    /// capacity limit; every other node carries one path).
    fn flow(&self, sources: &[usize], sink: usize, capacity: &mut Vec<Vec<i32>>) -> usize {
        let src = 2 * self.g.n;
        let size = src + 1;
        *capacity = self.arcs(sources);
        let target = 2 * sink;
        let mut total = 0;
        loop {
            let mut prev = vec![usize::MAX; size];
            prev[src] = src;
            let mut queue = VecDeque::from([src]);
            while let Some(u) = queue.pop_front() {
                if u == target {
                    break;
                }
                for v in 0..size {
                    if capacity[u][v] > 0 && prev[v] == usize::MAX {
                        prev[v] = u;
                        queue.push_back(v);
                    }
                }
            }
            if prev[target] == usize::MAX {
                return total;
            }
            let mut v = target;
            while v != src {
                let u = prev[v];
                capacity[u][v] -= 1;
                capacity[v][u] += 1;
                v = u;
            }
            total += 1;
        }
    }

    /// How many of `sources` reach `k` by paths sharing no node but k.
    fn count(&self, sources: &[GeneralId], k: GeneralId) -> usize {
        let srcs: Vec<usize> = sources.iter().map(|&s| usize::from(s)).collect();
        let mut cap = Vec::new();
        self.flow(&srcs, usize::from(k), &mut cap)
    }

    /// Internally disjoint paths between non-adjacent a and b.
    fn disjoint(&self, a: GeneralId, b: GeneralId) -> usize {
        // From a's out-half: a itself is not a bottleneck.
        let sources: Vec<usize> = self.g.neighbours(a, &[]).into_iter().map(usize::from).collect();
        let mut fan = Fan {
            g: self.g,
            blocked: self.blocked.clone(),
        };
        fan.blocked[usize::from(a)] = true;
        let mut cap = Vec::new();
        fan.flow(&sources, usize::from(b), &mut cap)
    }

    /// The paths themselves: for each source, its path to k, or `None`.
    fn paths(&self, sources: &[GeneralId], k: GeneralId) -> Vec<Option<Vec<GeneralId>>> {
        let n = self.g.n;
        let srcs: Vec<usize> = sources.iter().map(|&s| usize::from(s)).collect();
        let mut residual = Vec::new();
        self.flow(&srcs, usize::from(k), &mut residual);
        // An arc carries flow where it had capacity 1 and has none left.
        let arcs = self.arcs(&srcs);
        let used = |u: usize, v: usize| arcs[u][v] == 1 && residual[u][v] == 0;
        let src = 2 * n;
        let sink = 2 * usize::from(k);
        srcs.iter()
            .map(|&s| {
                if !used(src, 2 * s) {
                    return None;
                }
                let mut path = vec![s as GeneralId];
                let mut at = 2 * s;
                let mut steps = 0;
                while at != sink {
                    // In-half to out-half of the same node, then on.
                    let next = (0..2 * n).find(|&v| used(at, v))?;
                    if next % 2 == 0 {
                        path.push((next / 2) as GeneralId);
                    }
                    at = next;
                    steps += 1;
                    if steps > 4 * n {
                        return None;
                    }
                }
                Some(path)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_edge_joins_exactly_two_generals() {
        let e = GraphSpec::parse_edges("edges = [[0, 1, 2]]", "x", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("an edge joins two generals"), "{e}");
        assert!(GraphSpec::parse_edges("edges = [[0]]", "x", "x.toml").is_err());
        assert!(GraphSpec::parse_edges("edges = [[0, 1], [1, 2]]", "x", "x.toml").is_ok());
    }

    use super::*;

    fn build(spec: &str, n: usize) -> Graph {
        GraphSpec::parse(spec, None).unwrap().build(n).unwrap()
    }

    /// Section 5's examples: the complete graph on p+1 nodes is p-regular,
    /// a ring is 2-regular, and a star's centre has no regular set at all
    /// (its leaves reach each other only through it; the paper's Figure 7
    /// fails to be 3-regular at its centre the same way).
    #[test]
    fn definition_1_regularity() {
        assert_eq!(build("complete", 7).regularity(), 6);
        assert_eq!(build("ring", 7).regularity(), 2);
        assert_eq!(build("regular:4", 9).regularity(), 4);
        assert_eq!(build("regular:3", 8).regularity(), 3);
        let star = GraphSpec::parse_edges("edges = [[0,1],[0,2],[0,3],[1,2],[2,3],[3,1]]\n", "wheel", "t")
            .unwrap()
            .build(4)
            .unwrap();
        assert_eq!(star.regularity(), 3, "K4 as an edge list");
        let star = GraphSpec::parse_edges("edges = [[0,1],[0,2],[0,3]]\n", "star", "t")
            .unwrap()
            .build(4)
            .unwrap();
        // The centre's neighbours reach each other only through it: not
        // even one of them is a regular set (Definition 1(a)(ii)).
        assert_eq!(star.regularity(), 0);
        assert!(!star.is_regular_set(0, &[1, 2, 3], &[]));
        assert!(star.is_regular_set(1, &[0], &[]));
    }

    #[test]
    fn fans_are_disjoint_but_at_their_end() {
        let g = build("regular:4", 10);
        let set = g.regular_set(0, 4, &[]).unwrap();
        for k in 1..10 {
            let fan = g.fan(&set, k, &[0]);
            let paths: Vec<Vec<GeneralId>> = fan.into_iter().map(Option::unwrap).collect();
            for (a, pa) in paths.iter().enumerate() {
                assert_eq!(*pa.last().unwrap(), k);
                assert_eq!(pa[0], set[a]);
                assert!(!pa.contains(&0), "no path passes through the commander");
                assert!(pa.windows(2).all(|w| g.adjacent(w[0], w[1])));
                for pb in &paths[a + 1..] {
                    let common: Vec<_> = pa.iter().filter(|x| pb.contains(x)).collect();
                    assert_eq!(common, vec![&k]);
                }
            }
        }
    }

    #[test]
    fn connectivity_diameter_and_cuts() {
        assert_eq!(build("complete", 6).connectivity(), 5);
        assert_eq!(build("ring", 8).connectivity(), 2);
        assert_eq!(build("regular:4", 10).connectivity(), 4);
        let ring = build("ring", 6);
        assert_eq!(ring.diameter_within(&[0, 1, 2, 3, 4, 5]), Some(3));
        assert_eq!(ring.diameter_within(&[0, 1, 3, 4]), None);
        assert!(ring.cuts(1).is_empty());
        assert!(ring.cuts(2).contains(&vec![1, 4]));
        assert!(!ring.cuts(2).contains(&vec![1, 2]));
    }

    /// The bit-mask search a sweep uses gives the adjacency-matrix one's
    /// diameters, connected or not, on every subset of a few graphs.
    #[test]
    fn both_diameter_searches_agree() {
        for (spec, n) in [("ring", 9), ("regular:4", 10), ("regular:3", 8)] {
            let g = build(spec, n);
            for bits in 0u32..(1 << n) {
                let nodes: Vec<GeneralId> = (0..n as GeneralId).filter(|&i| bits & (1 << i) != 0).collect();
                assert_eq!(
                    g.diameter_by_masks(&nodes),
                    g.diameter_by_matrix(&nodes),
                    "{spec} {nodes:?}"
                );
            }
        }
    }

    #[test]
    fn bad_graphs_are_refused_with_reasons() {
        let cases = [
            ("regular:3", 7, "odd"),
            ("regular:7", 7, "at most 6"),
            ("ring", 2, "n >= 3"),
            ("star", 4, "not a graph"),
            ("regular:x", 4, "whole number"),
        ];
        for (spec, n, want) in cases {
            let e = GraphSpec::parse(spec, None)
                .and_then(|s| s.build(n))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{spec}: {e}");
        }
        let e = GraphSpec::parse_edges("edges = [[0,9]]\n", "x", "x.toml")
            .unwrap()
            .build(4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("beyond n - 1"), "{e}");
        let e = GraphSpec::parse_edges("edges = [[1,1]]\n", "x", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("loop"), "{e}");
        let e = GraphSpec::parse_edges("nodes = 3\n", "x", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("edges = "), "{e}");
    }
}
