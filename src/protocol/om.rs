//! OM(m), the oral-messages algorithm (paper, section 3).
//!
//! OM(0): (1) the commander sends its value to every lieutenant; (2) each
//! lieutenant uses the value it receives, or RETREAT if it receives none.
//! OM(m), m > 0: (1) the commander sends its value to every lieutenant; (2) for
//! each i, lieutenant i acts as the commander in OM(m-1) to send the value it
//! received to the n-2 other lieutenants; (3) lieutenant i uses
//! `majority(v1, ..., v(n-1))`, where vj is the value it got from j in step 2
//! (and vi the commander's).
//!
//! Unrolled, this is the exponential information gathering (EIG) tree: a
//! message carries a path `0:j1:...:jk` of distinct lieutenants and is sent in
//! round k+1 by jk. Each lieutenant keeps the values it received, one level per
//! round, in **flat per-level byte arrays indexed by the rank of the path**:
//! the path's lieutenants, each written as its position among the lieutenants
//! still available (excluding the owner and the path so far), read as a
//! mixed-radix number. This rank is the lexicographic order of paths, so the
//! n-2-k children of a node are contiguous (the recursive majority of step 3
//! is a slice sum) and a frame between two generals can carry its values in
//! that canonical order with no path on the wire. The last level, received
//! in the last round and never relayed, is kept as bits: OM(5) at n = 20
//! holds 1,106,821 entries per lieutenant in 207,181 bytes (78,661 bytes of
//! levels 0..4 and 1,028,160 bits). Below one prefix, a sender's relays are
//! consecutive in its tree and a receiver's a fixed stride apart in its own,
//! so the hot loops ([`gather`], [`scatter`]) copy runs of values rather
//! than walk paths one at a time.
//!
//! This module is a pure state machine: no IO, clock or randomness.

use super::{Describer, Dispatch, Explanation, Message, Protocol, Sink, Source, Taken, TraceMsg, Vote};
use crate::protocol::majority::majority_of_counts;
use crate::types::{COMMANDER, GeneralId, Round, Value};
use std::sync::Arc;

/// An entry a sender withheld; the receiver reads it as absent, and
/// therefore RETREAT (A3).
const WITHHELD: u8 = 2;

/// n (n-1) ... (n-k+1), saturating; 1 for k = 0 and 0 for k > n.
pub fn falling(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    (0..k).fold(1u64, |acc, i| acc.saturating_mul(n - i))
}

/// Messages OM(m) sends among n generals when every general sends all it
/// should: the sum over k = 0..m of (n-1)(n-2)...(n-1-k).
pub fn message_count(n: usize, m: usize) -> u64 {
    (0..=m as u64)
        .map(|k| falling(n as u64 - 1, k + 1))
        .fold(0u64, u64::saturating_add)
}

/// Entries of a lieutenant's tree at `level` (paths with `level` lieutenants
/// after the commander, none of them the owner).
pub fn level_len(n: usize, level: usize) -> u64 {
    falling(n as u64 - 2, level as u64)
}

/// Bytes one lieutenant's tree takes for OM(m) among n generals.
pub fn tree_bytes(n: usize, m: usize) -> u64 {
    (0..=m).map(|l| level_len(n, l)).fold(0u64, u64::saturating_add)
}

/// Values in the frame a lieutenant sends another in `round` (>= 2); 1 for
/// the commander's frame in round 1.
pub fn frame_len(n: usize, round: Round) -> u64 {
    if round <= 1 {
        1
    } else {
        falling(n as u64 - 3, u64::from(round) - 2)
    }
}

/// Why a receiver discarded an OM frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OmReject {
    /// The commander receives nothing in OM.
    #[error("the commander takes no messages")]
    ToCommander,
    /// Round outside 1..=m+1.
    #[error("round {0} is outside the run")]
    BadRound(Round),
    /// The claimed sender cannot send to this general in this round.
    #[error("general {0} does not send to this general in this round")]
    BadSender(GeneralId),
    /// A second frame from the same sender in the same round.
    #[error("duplicate frame from {0}")]
    Duplicate(GeneralId),
    /// Wrong number of values for the round.
    #[error("frame has {got} values, expected {want}")]
    BadLength {
        /// Values received.
        got: usize,
        /// Values expected.
        want: u64,
    },
}

/// Walks, in canonical order, the paths that lieutenant `s` relays to
/// lieutenant `r` in `round` (>= 2). For each, `visit` gets the full path of
/// the message (`0:...:s`), the index of the relayed value in `s`'s tree (level
/// `round - 2`) and the index where `r` stores it (level `round - 1`).
///
/// For round 1 it visits the single path `0` with both indices 0.
pub fn for_each_relay(
    n: usize,
    round: Round,
    s: GeneralId,
    r: GeneralId,
    mut visit: impl FnMut(&[GeneralId], usize, usize),
) {
    Walk::<_, true>::run(n, round, s, r, |path: &[GeneralId], is, ir| visit(path, is, ir));
}

/// [`for_each_relay`] without the paths: only the two indices. The honest
/// sender and receiver use [`gather`] and [`scatter`], which do the same in
/// whole blocks; this is their reference (and the tests').
pub fn for_each_relay_index(n: usize, round: Round, s: GeneralId, r: GeneralId, mut visit: impl FnMut(usize, usize)) {
    Walk::<_, false>::run(n, round, s, r, |_: &[GeneralId], is, ir| visit(is, ir));
}

/// Lieutenant `s`'s frame to `r` in `round`: the values of `level` (its
/// tree's level `round - 2`) in canonical order. OM's hot loop, sender side:
/// the paths below one prefix are consecutive in `s`'s tree but for `r`'s
/// own (it is not sent `r`), so a frame is packed from a few slices.
pub fn gather(n: usize, round: Round, s: GeneralId, r: GeneralId, level: &[u8]) -> Relays {
    let mut out = Packer::with_len(frame_len(n, round) as usize);
    if round <= 2 {
        // Round 1 the commander's order, round 2 the value s got from it.
        for_each_relay_index(n, round, s, r, |is, _| out.push(level[is]));
    } else {
        for_each_block(n, round, s, r, |b| {
            let base = b.sender_base;
            out.extend(&level[base..base + b.skip_r]);
            out.extend(&level[base + b.skip_r + 1..base + b.radix]);
        });
    }
    out.finish()
}

/// Where a receiver stores values: a tree level of bytes, or the last
/// level's bits.
pub trait Store {
    /// Entry `at` is ATTACK (`true`) or RETREAT.
    fn put(&mut self, at: usize, attack: bool);
}

impl Store for [u8] {
    fn put(&mut self, at: usize, attack: bool) {
        self[at] = u8::from(attack);
    }
}

/// Stores `frame`, lieutenant `s`'s frame to `r` in `round`, into `level`
/// (`r`'s tree level `round - 1`): ATTACK as ATTACK, anything else
/// (RETREAT, or withheld: absent reads as RETREAT, A3) as RETREAT. OM's hot
/// loop, receiver side: below one prefix, the paths land a fixed stride
/// apart in `r`'s tree. The frame's length is the caller's to check.
pub fn scatter<S: Store + ?Sized>(n: usize, round: Round, s: GeneralId, r: GeneralId, frame: &Relays, level: &mut S) {
    // Entry k is ATTACK (entries past the frame's end read as RETREAT).
    let packed = frame.packed.as_slice();
    let attack = |k: usize| {
        packed
            .get(k / PER_BYTE)
            .is_some_and(|&b| (b >> (BITS * (k % PER_BYTE))) & 3 == 1)
    };
    let mut k = 0;
    if round <= 2 {
        return for_each_relay_index(n, round, s, r, |_, ir| {
            level.put(ir, attack(k));
            k += 1;
        });
    }
    for_each_block(n, round, s, r, |b| {
        // Lieutenants below s come first (s's digit one lower after them).
        let stride = b.leaf_radix;
        let mut at = (b.receiver_base * stride + b.skip_s).wrapping_sub(1);
        for _ in 0..b.skip_s {
            level.put(at, attack(k));
            k += 1;
            at += stride;
        }
        let mut at = (b.receiver_base + b.skip_s + 1) * stride + b.skip_s;
        for _ in b.skip_s + 1..b.radix {
            level.put(at, attack(k));
            k += 1;
            at += stride;
        }
    });
}

/// The relays below one prefix `0:p1:...:pd` (round >= 3): paths
/// `0:p1:...:pd:j:s` for every free lieutenant j, in ascending j.
#[derive(Clone, Copy, Debug)]
struct Block {
    /// Digits free below the prefix (lieutenants not in it, owner excluded).
    radix: usize,
    /// Index of the prefix's first child in the sender's tree (level round-2).
    sender_base: usize,
    /// The prefix's rank in the receiver's tree, times `radix`.
    receiver_base: usize,
    /// The receiver's digit in the sender's tree: the one path not sent.
    skip_r: usize,
    /// The sender's digit in the receiver's tree below the prefix.
    skip_s: usize,
    /// Digits free at the receiver's level round-1.
    leaf_radix: usize,
}

/// Calls `visit` for every [`Block`] of (sender s, receiver r, round >= 3),
/// in canonical order.
fn for_each_block(n: usize, round: Round, s: GeneralId, r: GeneralId, mut visit: impl FnMut(Block)) {
    let level = round as usize - 2;
    let mut in_path = vec![false; n];
    blocks(n, level, s, r, 0, 0, 0, &mut in_path, &mut visit);
}

#[allow(clippy::too_many_arguments)]
fn blocks(
    n: usize,
    level: usize,
    s: GeneralId,
    r: GeneralId,
    depth: usize,
    is: usize,
    ir: usize,
    in_path: &mut [bool],
    visit: &mut impl FnMut(Block),
) {
    let radix = n - 2 - depth;
    if depth + 1 == level {
        let below = |x: GeneralId| in_path[1..x as usize].iter().filter(|&&b| b).count();
        return visit(Block {
            radix,
            sender_base: is * radix,
            receiver_base: ir * radix,
            skip_r: (r as usize - 1) - usize::from(s < r) - below(r),
            skip_s: (s as usize - 1) - usize::from(r < s) - below(s),
            leaf_radix: n - 2 - level,
        });
    }
    let mut below = 0;
    for j in 1..n as GeneralId {
        if in_path[j as usize] {
            below += 1;
            continue;
        }
        if j == s || j == r {
            continue;
        }
        let js = (j as usize - 1) - usize::from(s < j) - below;
        let jr = (j as usize - 1) - usize::from(r < j) - below;
        in_path[j as usize] = true;
        blocks(
            n,
            level,
            s,
            r,
            depth + 1,
            is * radix + js,
            ir * radix + jr,
            in_path,
            visit,
        );
        in_path[j as usize] = false;
    }
}

/// Depth-first walk over the relay paths of one (sender, receiver, round).
///
/// A lieutenant j's digit below a path, in the tree of `owner`, is its
/// position among the lieutenants not yet used: `(j-1) - [owner < j] - #{path
/// members < j}`. Walking j upwards, the last count grows by one at each path
/// member passed, so each digit costs O(1) and the innermost loop, which
/// visits almost every path, is a handful of additions.
struct Walk<F, const PATH: bool> {
    n: usize,
    level: usize,
    s: GeneralId,
    r: GeneralId,
    in_path: Vec<bool>,
    path: Vec<GeneralId>,
    visit: F,
}

impl<F: FnMut(&[GeneralId], usize, usize), const PATH: bool> Walk<F, PATH> {
    fn run(n: usize, round: Round, s: GeneralId, r: GeneralId, visit: F) {
        let mut w = Walk::<F, PATH> {
            n,
            level: (round as usize).saturating_sub(2),
            s,
            r,
            in_path: vec![false; n],
            path: Vec::with_capacity(round as usize + 1),
            visit,
        };
        w.path.push(COMMANDER);
        if round <= 1 {
            (w.visit)(&w.path, 0, 0);
        } else if w.level == 0 {
            // Path 0:s; in r's tree s is the first digit.
            let ds = (s as usize - 1) - usize::from(r < s);
            w.path.push(s);
            (w.visit)(&w.path, 0, ds);
        } else {
            w.inner(0, 0, 0);
        }
    }

    fn inner(&mut self, depth: usize, is: usize, ir: usize) {
        let (n, s, r) = (self.n, self.s, self.r);
        let radix = n - 2 - depth;
        if depth + 1 == self.level {
            return self.last(radix, is, ir);
        }
        let mut below = 0;
        for j in 1..n as GeneralId {
            if self.in_path[j as usize] {
                below += 1;
                continue;
            }
            if j == s || j == r {
                continue;
            }
            let js = (j as usize - 1) - usize::from(s < j) - below;
            let jr = (j as usize - 1) - usize::from(r < j) - below;
            self.in_path[j as usize] = true;
            if PATH {
                self.path.push(j);
            }
            self.inner(depth + 1, is * radix + js, ir * radix + jr);
            if PATH {
                self.path.pop();
            }
            self.in_path[j as usize] = false;
        }
    }

    /// Chooses the path's last lieutenant j and visits `path:j:s` for each.
    /// Its loop repeats the digit arithmetic of `inner` on purpose: `inner`
    /// marks each j in `in_path` while it recurses, this one does not, and
    /// this is the loop that runs once per relayed value.
    fn last(&mut self, radix: usize, is: usize, ir: usize) {
        let (n, s, r) = (self.n, self.s, self.r);
        // In r's tree the relayed message is one level deeper, s its last digit.
        let leaf_radix = n - 2 - self.level;
        // From the membership flags, not `path`: the fast walk keeps no path.
        let s_below = self.in_path[1..s as usize].iter().filter(|&&b| b).count();
        let ds_base = (s as usize - 1) - usize::from(r < s) - s_below;
        let (is_base, ir_base) = (is * radix, ir * radix);
        let mut below = 0;
        for j in 1..n as GeneralId {
            if self.in_path[j as usize] {
                below += 1;
                continue;
            }
            if j == s || j == r {
                continue;
            }
            let js = (j as usize - 1) - usize::from(s < j) - below;
            let jr = (j as usize - 1) - usize::from(r < j) - below;
            let ds = ds_base - usize::from(j < s);
            let leaf_is = is_base + js;
            let leaf_ir = (ir_base + jr) * leaf_radix + ds;
            if PATH {
                self.path.push(j);
                self.path.push(s);
                (self.visit)(&self.path, leaf_is, leaf_ir);
                self.path.truncate(self.path.len() - 2);
            } else {
                (self.visit)(&[], leaf_is, leaf_ir);
            }
        }
    }
}

/// What one general sends another in one OM round: an entry per relayed
/// path, in the canonical order of [`for_each_relay`], so no path travels.
/// Each entry is RETREAT, ATTACK or withheld, two bits (0, 1, 2), four to a
/// byte, lowest bits first; unused bits of the last byte are zero. Kept
/// packed in memory as on the wire: OM(5) at n = 20 has 19.5 MB of frames
/// in flight at once in a byte per entry, 4.9 MB packed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Relays {
    len: usize,
    packed: Vec<u8>,
}

/// Bits per entry.
const BITS: usize = 2;
/// Entries per byte.
const PER_BYTE: usize = 8 / BITS;

/// Builds a [`Relays`] entry by entry (entries as tree bytes: 0, 1, 2).
struct Packer {
    packed: Vec<u8>,
    len: usize,
    acc: u8,
    fill: usize,
}

impl Packer {
    fn with_len(len: usize) -> Packer {
        Packer {
            packed: Vec::with_capacity(len.div_ceil(PER_BYTE)),
            len: 0,
            acc: 0,
            fill: 0,
        }
    }

    #[inline]
    fn push(&mut self, code: u8) {
        self.acc |= (code & 3) << (BITS * self.fill);
        self.fill += 1;
        self.len += 1;
        if self.fill == PER_BYTE {
            self.packed.push(self.acc);
            self.acc = 0;
            self.fill = 0;
        }
    }

    #[inline]
    fn extend(&mut self, codes: &[u8]) {
        let mut codes = codes;
        while self.fill != 0
            && let Some((&c, rest)) = codes.split_first()
        {
            self.push(c);
            codes = rest;
        }
        // Aligned: four entries to a byte.
        let whole = codes.chunks_exact(PER_BYTE);
        let tail = whole.remainder();
        self.len += codes.len() - tail.len();
        self.packed
            .extend(whole.map(|c| (c[0] & 3) | (c[1] & 3) << 2 | (c[2] & 3) << 4 | (c[3] & 3) << 6));
        for &c in tail {
            self.push(c);
        }
    }

    fn finish(mut self) -> Relays {
        if self.fill != 0 {
            self.packed.push(self.acc);
        }
        Relays {
            len: self.len,
            packed: self.packed,
        }
    }
}

impl Relays {
    /// `len` entries, all `value`.
    pub fn filled(len: usize, value: Option<Value>) -> Relays {
        let mut p = Packer::with_len(len);
        for _ in 0..len {
            p.push(Self::byte(value));
        }
        p.finish()
    }

    fn byte(value: Option<Value>) -> u8 {
        value.map_or(WITHHELD, Value::to_byte)
    }

    fn code(&self, i: usize) -> u8 {
        (self.packed[i / PER_BYTE] >> (BITS * (i % PER_BYTE))) & 3
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entry `i`: the value, or `None` if withheld or out of range.
    pub fn get(&self, i: usize) -> Option<Value> {
        (i < self.len).then(|| self.code(i)).and_then(Value::from_byte)
    }

    /// Sets entry `i` (ignored out of range).
    pub fn set(&mut self, i: usize, value: Option<Value>) {
        if i < self.len {
            let shift = BITS * (i % PER_BYTE);
            let b = &mut self.packed[i / PER_BYTE];
            *b = (*b & !(3 << shift)) | Self::byte(value) << shift;
        }
    }
}

impl Message for Relays {
    const KIND: u32 = 0;

    /// Entries not withheld.
    fn count(&self) -> u64 {
        // A withheld field is 0b10: high bit set, low bit clear.
        let withheld: u32 = self.packed.iter().map(|&b| ((b >> 1) & !b & 0x55).count_ones()).sum();
        (self.len - withheld as usize) as u64
    }

    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error> {
        out.length(self.len)?;
        out.raw(&self.packed)
    }

    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error> {
        let len = input.length()?;
        let bytes = len.div_ceil(PER_BYTE);
        if bytes > input.remaining() {
            return Err(input.invalid(format!("{len} entries claimed, {} bytes left", input.remaining())));
        }
        let packed = input.raw(bytes)?.to_vec();
        // 0b11 is no entry; bits past the last entry are zero.
        if let Some(b) = packed.iter().find(|&&b| (b & (b >> 1) & 0x55) != 0) {
            return Err(input.invalid(format!("byte {b:#04x} holds a field that is no value")));
        }
        let used = len % PER_BYTE;
        if used != 0 && packed.last().is_some_and(|&b| b >> (BITS * used) != 0) {
            return Err(input.invalid("bits set past the last entry".to_string()));
        }
        Ok(Relays { len, packed })
    }
}

/// A lieutenant's last tree level, one bit per entry (1 = ATTACK): the
/// largest level by far (OM(5) at n = 20: 1,028,160 of 1,106,821 entries),
/// and never relayed, so it needs no "withheld".
#[derive(Clone, Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    /// Ones among entries `start..start + len`.
    fn ones(&self, start: usize, len: usize) -> usize {
        let (end, mut i, mut count) = (start + len, start, 0);
        while i < end {
            let (w, b) = (i / 64, i % 64);
            let take = (64 - b).min(end - i);
            let mask = if take == 64 { !0 } else { (1u64 << take) - 1 };
            count += ((self.0[w] >> b) & mask).count_ones() as usize;
            i += take;
        }
        count
    }

    fn clear(&mut self) {
        self.0.fill(0);
    }
}

impl Store for Bits {
    #[inline]
    fn put(&mut self, at: usize, attack: bool) {
        let (w, b) = (at / 64, at % 64);
        self.0[w] = (self.0[w] & !(1 << b)) | u64::from(attack) << b;
    }
}

/// Largest frame an OM(m) run among n generals carries, in bytes: the longest
/// honest relay frame with room for the frame's header.
pub fn max_frame_bytes(n: usize, m: usize) -> usize {
    let values = (1..=m as Round + 1).map(|r| frame_len(n, r)).max().unwrap_or(1);
    (values as usize).div_ceil(PER_BYTE).saturating_add(64)
}

/// One general running OM(m).
#[derive(Clone, Debug)]
pub struct OmGeneral {
    n: usize,
    m: usize,
    me: GeneralId,
    order: Value,
    /// Received values of levels 0..m-1 (those it relays), 0 = RETREAT
    /// (also for absent), 1 = ATTACK, 2 = unknown: lost in a crash (relayed
    /// as withheld, counted as RETREAT).
    levels: Vec<Vec<u8>>,
    /// Level m, received in the last round and never relayed: a bit per
    /// entry (unknown after a crash reads as RETREAT, as absent does).
    last: Bits,
    /// Which (round, sender) frames arrived, to refuse duplicates.
    seen: Vec<bool>,
}

impl OmGeneral {
    /// The commander with its order. Callers validate `m <= n - 2` first.
    pub fn commander(n: usize, m: usize, order: Value) -> OmGeneral {
        OmGeneral {
            n,
            m,
            me: COMMANDER,
            order,
            levels: Vec::new(),
            last: Bits::default(),
            seen: Vec::new(),
        }
    }

    /// Lieutenant `me` (1..n). Every entry starts as RETREAT, so a value that
    /// never arrives is RETREAT (A3).
    pub fn lieutenant(n: usize, m: usize, me: GeneralId) -> OmGeneral {
        let levels = (0..m).map(|l| vec![0u8; level_len(n, l) as usize]).collect();
        OmGeneral {
            n,
            m,
            me,
            order: Value::Retreat,
            levels,
            last: Bits::new(level_len(n, m) as usize),
            seen: vec![false; (m + 1) * n],
        }
    }

    /// The vote of the tree node `path` (at `level`, the `next[level]`-th
    /// node of its level in the canonical order): the value received for
    /// it and, above the last level, the majority with the votes below.
    fn vote(&self, path: &mut Vec<GeneralId>, next: &mut [usize], deep: bool) -> Vote {
        let level = path.len() - 1;
        let index = next[level];
        next[level] += 1;
        let stored = if level == self.m {
            Some(self.last.ones(index, 1) as u8)
        } else {
            self.levels[level].get(index).copied()
        };
        let received = stored.and_then(Value::from_byte);
        if level == self.m {
            return Vote {
                path: path.clone(),
                received,
                value: received.unwrap_or(Value::Retreat),
                below: Vec::new(),
            };
        }
        let mut below = Vec::new();
        for j in 1..self.n as GeneralId {
            if j == self.me || path.contains(&j) {
                continue;
            }
            path.push(j);
            below.push(self.vote(path, next, deep));
            path.pop();
        }
        let attack =
            usize::from(received == Some(Value::Attack)) + below.iter().filter(|v| v.value == Value::Attack).count();
        let value = majority_of_counts(attack, below.len() + 1);
        if !deep && level >= 1 {
            below.clear();
        }
        Vote {
            path: path.clone(),
            received,
            value,
            below,
        }
    }

    /// The honest frame for `to` in `round`: the values in canonical path
    /// order. OM(m) step 1 for the commander, step 2 (relaying as commander
    /// of OM(m-1)) for a lieutenant.
    fn relay(&self, round: Round, to: GeneralId) -> Relays {
        if self.me == COMMANDER {
            return Relays::filled(1, Some(self.order));
        }
        gather(self.n, round, self.me, to, &self.levels[round as usize - 2])
    }
}

impl Protocol for OmGeneral {
    type Msg = Relays;
    type Reject = OmReject;

    fn id(&self) -> GeneralId {
        self.me
    }

    fn rounds(&self) -> Round {
        self.m as Round + 1
    }

    fn recipients(&self, round: Round) -> Vec<GeneralId> {
        super::recipients(self.n, self.m, self.me, round)
    }

    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Relays>> {
        self.recipients(round)
            .into_iter()
            .map(|to| Dispatch {
                to,
                msg: Arc::new(self.relay(round, to)),
            })
            .collect()
    }

    /// Stores a frame from `from` in `round`; the whole frame is refused if it
    /// is not exactly what the round calls for.
    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Relays) -> Result<Taken, OmReject> {
        if self.me == COMMANDER {
            return Err(OmReject::ToCommander);
        }
        if round == 0 || round as usize > self.m + 1 {
            return Err(OmReject::BadRound(round));
        }
        let sender_ok = if round == 1 {
            from == COMMANDER
        } else {
            from != COMMANDER && from != self.me && (from as usize) < self.n
        };
        if !sender_ok {
            return Err(OmReject::BadSender(from));
        }
        let want = frame_len(self.n, round);
        if msg.len() as u64 != want {
            return Err(OmReject::BadLength { got: msg.len(), want });
        }
        let seen = (round as usize - 1) * self.n + from as usize;
        if self.seen[seen] {
            return Err(OmReject::Duplicate(from));
        }
        self.seen[seen] = true;
        // A3: a withheld value is absent, and absent reads as RETREAT.
        let level = round as usize - 1;
        if level == self.m {
            scatter(self.n, round, from, self.me, msg, &mut self.last);
        } else {
            scatter(self.n, round, from, self.me, msg, self.levels[level].as_mut_slice());
        }
        Ok(Taken::All)
    }

    /// The decision: the commander's own order, or for a lieutenant the
    /// recursive majority of step 3, computed bottom-up over the tree levels.
    fn decide(&self) -> Value {
        if self.me == COMMANDER {
            return self.order;
        }
        // An entry lost in a crash (WITHHELD) counts as absent: RETREAT.
        let (n, m) = (self.n, self.m);
        if m == 0 {
            return if self.last.ones(0, 1) == 1 {
                Value::Attack
            } else {
                Value::Retreat
            };
        }
        // Level m-1 over the bits of level m, then level by level upwards:
        // OM(m-l) step 3 at each node, the value received directly plus the
        // n-2-l values resolved by OM(m-l-1) below it.
        let children = n - 1 - m;
        let mut resolved: Vec<u8> = self.levels[m - 1]
            .iter()
            .enumerate()
            .map(|(i, &own)| {
                let attack = usize::from(own == 1) + self.last.ones(i * children, children);
                majority_of_counts(attack, children + 1).to_byte()
            })
            .collect();
        for l in (0..m - 1).rev() {
            let children = n - 2 - l;
            resolved = self.levels[l]
                .iter()
                .zip(resolved.chunks_exact(children))
                .map(|(&own, kids)| {
                    let attack = usize::from(own == 1) + kids.iter().map(|&k| usize::from(k)).sum::<usize>();
                    majority_of_counts(attack, children + 1).to_byte()
                })
                .collect();
        }
        Value::from_byte(resolved[0]).unwrap_or(Value::Retreat)
    }

    /// Step 3 unrolled: the commander's value and, for each other
    /// lieutenant j, the value OM(m-1) resolved for the path 0:j, each
    /// with the votes below it (the whole tree up to 5,000 nodes, else two
    /// levels).
    fn explain(&self) -> Option<Explanation> {
        if self.me == COMMANDER {
            return Some(Explanation {
                rule: "the commander decides its own order".into(),
                decision: self.order,
                votes: Vec::new(),
            });
        }
        let deep = tree_bytes(self.n, self.m) <= 5_000;
        let mut next = vec![0usize; self.m + 1];
        let top = self.vote(&mut vec![COMMANDER], &mut next, deep);
        let rule = if self.m == 0 {
            "OM(0) step 2: the value received from the commander (RETREAT if none)".to_string()
        } else {
            format!(
                "OM({}) step 3: majority of the commander's value and, for each other lieutenant j, the value \
                 OM({}) gave for 0:j (a tie or nothing: RETREAT){}",
                self.m,
                self.m - 1,
                if deep {
                    ""
                } else {
                    "; votes below the second level left out"
                }
            )
        };
        let decision = top.value;
        let votes = if self.m == 0 {
            vec![top]
        } else {
            let mut own = top.clone();
            own.below.clear();
            own.value = own.received.unwrap_or(Value::Retreat);
            std::iter::once(own).chain(top.below).collect()
        };
        Some(Explanation { rule, decision, votes })
    }

    /// What it had received is unknown now: it withholds those values when
    /// it relays (rather than make up RETREAT), counts them as RETREAT when
    /// it decides, and stores what arrives from now on.
    fn reset(&mut self) {
        for level in &mut self.levels {
            level.fill(WITHHELD);
        }
        self.last.clear();
        self.seen.fill(false);
    }

    fn describer(&self) -> Describer<Relays> {
        let n = self.n;
        Arc::new(move |round, from, to, msg: &Relays| {
            let mut out = Vec::new();
            // Only a sender and round OM has (a receiver describes what a
            // frame claims).
            let sender_ok = if round == 1 {
                from == COMMANDER
            } else {
                from != COMMANDER
            };
            if !sender_ok || round == 0 || from == to || from as usize >= n || to as usize >= n || to == COMMANDER {
                return out;
            }
            let mut k = 0;
            for_each_relay(n, round, from, to, |path, _, _| {
                if let Some(value) = msg.get(k) {
                    out.push(TraceMsg {
                        path: path.to_vec(),
                        value,
                    });
                }
                k += 1;
            });
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_counts_match_the_formula() {
        // sum over k = 0..m of (n-1)(n-2)...(n-1-k)
        let cases = [
            (4, 1, 9),
            (7, 2, 156),
            (10, 3, 3609),
            (13, 4, 108_384),
            (20, 5, 21_029_599),
            (3, 0, 2),
        ];
        for (n, m, want) in cases {
            assert_eq!(message_count(n, m), want, "n={n} m={m}");
        }
    }

    /// The block copies of the hot loop against the path walk they replace:
    /// every (sender, receiver, round) for n = 4..9, on trees of distinct
    /// entries.
    #[test]
    fn gather_and_scatter_equal_the_path_walk() {
        for n in 4..=9usize {
            for round in 1..=(n as Round - 1).min(6) {
                let senders: Vec<GeneralId> = if round == 1 {
                    vec![0]
                } else {
                    (1..n as GeneralId).collect()
                };
                for &s in &senders {
                    for r in (1..n as GeneralId).filter(|&r| r != s) {
                        let len = if round == 1 {
                            1
                        } else {
                            level_len(n, round as usize - 2) as usize
                        };
                        let tree: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                        let mut want = Vec::new();
                        for_each_relay_index(n, round, s, r, |is, _| want.push(tree[is]));
                        let tree: Vec<u8> = tree.iter().map(|b| b % 3).collect();
                        let want: Vec<Option<Value>> = want.iter().map(|b| Value::from_byte(b % 3)).collect();
                        let got = gather(n, round, s, r, &tree);
                        let got_values: Vec<Option<Value>> = (0..got.len()).map(|k| got.get(k)).collect();
                        assert_eq!(got_values, want, "gather n={n} round={round} s={s} r={r}");
                        assert_eq!(got.len() as u64, frame_len(n, round));
                        // Scatter: values alternate RETREAT/ATTACK/withheld.
                        let values: Vec<u8> = (0..want.len()).map(|k| (k % 3) as u8).collect();
                        let frame = {
                            let mut p = Packer::with_len(values.len());
                            p.extend(&values);
                            p.finish()
                        };
                        let out_len = level_len(n, round as usize - 1) as usize;
                        let mut want = vec![9u8; out_len];
                        let mut k = 0;
                        for_each_relay_index(n, round, s, r, |_, ir| {
                            want[ir] = u8::from(values[k] == 1);
                            k += 1;
                        });
                        let mut got = vec![9u8; out_len];
                        scatter(n, round, s, r, &frame, got.as_mut_slice());
                        assert_eq!(got, want, "scatter n={n} round={round} s={s} r={r}");
                        let mut bits = Bits::new(out_len);
                        bits.0.fill(!0);
                        scatter(n, round, s, r, &frame, &mut bits);
                        for (i, &w) in want.iter().enumerate().filter(|(_, w)| **w != 9) {
                            assert_eq!(
                                bits.ones(i, 1),
                                usize::from(w),
                                "bits n={n} round={round} s={s} r={r} at {i}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn falling_table() {
        assert_eq!(falling(5, 0), 1);
        assert_eq!(falling(5, 2), 20);
        assert_eq!(falling(3, 4), 0);
    }

    /// Every entry of every receiver's tree is written by exactly one
    /// (sender, value) and every sender index is read in range: the ranking
    /// is a bijection, which is what lets frames carry no paths.
    #[test]
    fn relay_indices_cover_each_tree_exactly_once() {
        for n in 4..=8usize {
            for round in 2..=(n as Round - 1).min(5) {
                let level = round as usize - 2;
                for r in 1..n as GeneralId {
                    let mut hits = vec![0u32; level_len(n, level + 1) as usize];
                    for s in 1..n as GeneralId {
                        if s == r {
                            continue;
                        }
                        let mut count = 0u64;
                        let mut last_is = None;
                        for_each_relay(n, round, s, r, |path, is, ir| {
                            assert_eq!(path.len(), level + 2);
                            assert_eq!(*path.last().unwrap(), s);
                            assert!(!path.contains(&r));
                            assert!((is as u64) < level_len(n, level));
                            // canonical order is increasing in the sender's tree
                            assert!(last_is.is_none_or(|l| l < is));
                            last_is = Some(is);
                            hits[ir] += 1;
                            count += 1;
                        });
                        assert_eq!(count, frame_len(n, round));
                    }
                    assert!(hits.iter().all(|&h| h == 1), "n={n} round={round} r={r}");
                }
            }
        }
    }

    /// The rank of a path in `owner`'s tree, straight from the definition:
    /// each lieutenant's position among those still free, mixed radix.
    fn rank(n: usize, owner: GeneralId, path: &[GeneralId]) -> usize {
        let mut idx = 0;
        for (d, &j) in path.iter().enumerate() {
            let used = |x: GeneralId| x == owner || path[..d].contains(&x);
            let digit = (1..j).filter(|&x| !used(x)).count();
            idx = idx * (n - 2 - d) + digit;
        }
        idx
    }

    /// Both walks give the ranks of the definition, for every sender,
    /// receiver and round (the fast walk keeps no path, so it is checked
    /// against the paths the other one reports).
    #[test]
    fn walks_follow_the_rank_definition() {
        for n in 4..=9usize {
            for round in 2..=(n as Round - 1).min(5) {
                for s in 1..n as GeneralId {
                    for r in (1..n as GeneralId).filter(|&r| r != s) {
                        let mut paths = Vec::new();
                        for_each_relay(n, round, s, r, |path, is, ir| {
                            let l = &path[1..];
                            assert_eq!(is, rank(n, s, &l[..l.len() - 1]), "n={n} {path:?} sender index");
                            assert_eq!(ir, rank(n, r, l), "n={n} {path:?} receiver index");
                            paths.push((is, ir));
                        });
                        let mut fast = Vec::new();
                        for_each_relay_index(n, round, s, r, |is, ir| fast.push((is, ir)));
                        assert_eq!(fast, paths, "n={n} round={round} s={s} r={r}");
                    }
                }
            }
        }
    }

    fn relays(values: &[Option<Value>]) -> Relays {
        let mut r = Relays::filled(values.len(), None);
        for (i, v) in values.iter().enumerate() {
            r.set(i, *v);
        }
        r
    }

    #[test]
    fn malformed_frames_are_refused() {
        let a = Some(Value::Attack);
        let mut g = OmGeneral::lieutenant(4, 1, 1);
        assert_eq!(g.on_message(1, 2, &relays(&[a])), Err(OmReject::BadSender(2)));
        assert_eq!(g.on_message(3, 2, &relays(&[a])), Err(OmReject::BadRound(3)));
        assert_eq!(
            g.on_message(1, 0, &relays(&[a, a])),
            Err(OmReject::BadLength { got: 2, want: 1 })
        );
        assert_eq!(g.on_message(2, 1, &relays(&[a])), Err(OmReject::BadSender(1)));
        assert_eq!(g.on_message(1, 0, &relays(&[a])), Ok(Taken::All));
        assert_eq!(
            g.on_message(1, 0, &relays(&[Some(Value::Retreat)])),
            Err(OmReject::Duplicate(0))
        );
        let mut c = OmGeneral::commander(4, 1, Value::Attack);
        assert_eq!(c.on_message(1, 0, &relays(&[a])), Err(OmReject::ToCommander));
    }

    /// Fig. 3 by hand: lieutenant 1 hears ATTACK from the commander and from
    /// 2, and a withheld value from 3 (absent reads as RETREAT): majority ATTACK.
    #[test]
    fn withheld_values_read_as_retreat() {
        let mut g = OmGeneral::lieutenant(4, 1, 1);
        let a = Some(Value::Attack);
        assert_eq!(g.on_message(1, 0, &relays(&[a])), Ok(Taken::All));
        assert_eq!(g.on_message(2, 2, &relays(&[a])), Ok(Taken::All));
        assert_eq!(g.on_message(2, 3, &relays(&[None])), Ok(Taken::All));
        assert_eq!(g.decide(), Value::Attack);
        let mut h = OmGeneral::lieutenant(4, 1, 1);
        assert_eq!(h.on_message(1, 0, &relays(&[a])), Ok(Taken::All));
        assert_eq!(h.on_message(2, 2, &relays(&[None])), Ok(Taken::All));
        assert_eq!(h.decide(), Value::Retreat, "two of three absent or RETREAT");
        assert_eq!(relays(&[a, None, Some(Value::Retreat)]).count(), 2);
    }
}
