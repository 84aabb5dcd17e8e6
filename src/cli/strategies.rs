//! `byzlab strategies`: the algorithms, strategies and adversaries this
//! binary knows, and which strategy applies to which algorithm.

use crate::registry::Registry;

pub(super) fn cmd_strategies(registry: &Registry) {
    let mark = |builtin: bool| if builtin { "" } else { "  (registered)" };
    println!("algorithms (--algorithm NAME, `algorithms = [...]` in experiment files):");
    for a in registry.algorithms().entries() {
        let alg = *a.make();
        println!("  {:<12} {}{}", a.name, a.about, mark(a.builtin));
        println!("  {:<12} tolerates: {}", "", alg.bound());
    }
    println!();
    println!("traitor strategies (--strategy NAME, or a path to a .toml script):");
    for s in registry.strategies().entries() {
        println!("  {:<12} {}{}", s.name, s.about, mark(s.builtin));
    }
    println!("  FILE.toml    scripted: rules matching sender, receiver, round and path (see README)");
    println!();
    println!("which strategy applies to which algorithm (x: applies; -: a run pairing them is refused):");
    let algorithms: Vec<_> = registry.algorithms().entries().iter().map(|a| *a.make()).collect();
    let width = algorithms.iter().map(|a| a.as_str().len()).max().unwrap_or(2).max(2);
    let header: Vec<String> = algorithms.iter().map(|a| format!("{:>width$}", a.as_str())).collect();
    println!("  {:<12} {}", "", header.join(" "));
    for s in registry.strategies().entries() {
        let strategy = (s.make())();
        let cells: Vec<String> = algorithms
            .iter()
            .map(|&a| format!("{:>width$}", if strategy.applies_to(a).is_ok() { "x" } else { "-" }))
            .collect();
        println!("  {:<12} {}", s.name, cells.join(" "));
    }
    let refusals: Vec<String> = registry
        .strategies()
        .entries()
        .iter()
        .filter_map(|s| {
            let strategy = (s.make())();
            algorithms
                .iter()
                .find_map(|&a| strategy.applies_to(a).err())
                .map(|why| format!("  {}: {why}", s.name))
        })
        .collect();
    for line in refusals {
        println!("{line}");
    }
    println!("  FILE.toml    applies to every algorithm (path rules fire only where values are relay paths)");
    println!();
    println!("link adversaries (--link arbitrary --adversary NAME):");
    for a in registry.adversaries().entries() {
        println!("  {:<12} {}{}", a.name, a.about, mark(a.builtin));
    }
    println!();
    println!("link layers (--link CHANNEL+LAYER+..., bottom first; experiments/README.md has the order rules):");
    for l in registry.layers().entries() {
        println!("  {:<12} {}{}", l.name, l.about, mark(l.builtin));
        println!("  {:<12}   {}", "", l.make().syntax);
    }
}
