//! `byzlab strategies`: the strategies and adversaries this binary knows.

use crate::registry::Registry;

pub(super) fn cmd_strategies(registry: &Registry) {
    let mark = |builtin: bool| if builtin { "" } else { "  (registered)" };
    println!("traitor strategies (--strategy NAME, or a path to a .toml script):");
    for s in registry.strategies().entries() {
        println!("  {:<12} {}{}", s.name, s.about, mark(s.builtin));
    }
    println!("  FILE.toml    scripted: rules matching sender, receiver, round and path (see README)");
    println!();
    println!("link adversaries (--link arbitrary --adversary NAME):");
    for a in registry.adversaries().entries() {
        println!("  {:<12} {}{}", a.name, a.about, mark(a.builtin));
    }
}
